/**
 * Named volumes (JRT_STATE/volumes/NAME) and package caches (JRT_STATE/package-caches/RUNTIME):
 * their size, last use and users. Jobs write inside them, so a volume's contents are never trusted:
 * sizes are summed without following symlinks (walk.ts), a removal goes through removeTree (which
 * unlinks a planted symlink, never its target) and never through a mount, and the volume itself is
 * found by a name jrt checks and a path jrt builds, never by a name read from inside one.
 */
import { lstat, rename } from 'node:fs/promises';
import path from 'node:path';
import { failure, usageError } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { removeTree } from '../core/remove-tree.js';
import { type RunningJob, runningJobs } from '../runner/jobs.js';
import { mountPoints } from '../uninstall/gather.js';
import { listEntries } from './gather.js';

export type VolumeKind = 'volume' | 'package-cache';

export interface VolumeInfo {
  /** `NAME` for a volume, `cache:RUNTIME` for a runtime's package cache. */
  name: string;
  kind: VolumeKind;
  path: string;
  bytes: number;
  /** The latest of its directory's mtime and the start of the last recorded job that mounted it. */
  lastUsed: string;
  /** The runtime whose cache it is (package caches), else the runtimes of the jobs that used it. */
  runtimes: string[];
  /** Pids of running jobs that mount it. */
  inUseBy: number[];
}

/** A job's use of volumes, from its record (running or finished). */
export interface VolumeUse {
  runtime: string;
  start: string;
  volumes?: string[];
  packageCache?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const CACHE_PREFIX = 'cache:';

function where(
  paths: Pick<JrtPaths, 'state'>,
  name: string,
): { kind: VolumeKind; dir: string; bare: string } {
  const cache = name.startsWith(CACHE_PREFIX);
  const bare = cache ? name.slice(CACHE_PREFIX.length) : name;
  if (!NAME.test(bare) || bare.length > 255)
    throw usageError(
      'ERR_JRT_BAD_VOLUME',
      `volume name '${bare.slice(0, 40)}' may hold only letters, digits and _ . - (a package cache: cache:RUNTIME)`,
    );
  const kind: VolumeKind = cache ? 'package-cache' : 'volume';
  return { kind, bare, dir: path.join(paths.state, cache ? 'package-caches' : 'volumes', bare) };
}

const uses = (u: VolumeUse, kind: VolumeKind, bare: string) =>
  kind === 'volume' ? (u.volumes ?? []).includes(bare) : u.packageCache === bare;

/** Pure: one volume's info from its entry and the job records that name it. */
export function describeVolume(
  e: { name: string; path: string; bytes: number; mtimeMs: number },
  kind: VolumeKind,
  running: readonly (VolumeUse & { pid: number })[],
  history: readonly VolumeUse[],
): VolumeInfo {
  const users = [...history, ...running].filter((u) => uses(u, kind, e.name));
  const last = Math.max(e.mtimeMs, ...users.map((u) => Date.parse(u.start)).filter((n) => !Number.isNaN(n)));
  return {
    name: kind === 'volume' ? e.name : `${CACHE_PREFIX}${e.name}`,
    kind,
    path: e.path,
    bytes: e.bytes,
    lastUsed: new Date(last).toISOString(),
    runtimes: kind === 'package-cache' ? [e.name] : [...new Set(users.map((u) => u.runtime))].sort(),
    inUseBy: running.filter((u) => uses(u, kind, e.name)).map((u) => u.pid),
  };
}

export async function listVolumes(
  paths: Pick<JrtPaths, 'state'>,
  history: readonly VolumeUse[],
): Promise<VolumeInfo[]> {
  const running = await runningJobs(paths.state);
  const out: VolumeInfo[] = [];
  for (const [kind, sub] of [
    ['volume', 'volumes'],
    ['package-cache', 'package-caches'],
  ] as const) {
    for (const e of await listEntries(path.join(paths.state, sub), (n) => NAME.test(n)))
      out.push(describeVolume(e, kind, running, history));
  }
  return out;
}

/** The volume NAME (or cache:RUNTIME); refused when absent or not a plain directory of jrt's. */
export async function findVolume(
  paths: Pick<JrtPaths, 'state'>,
  name: string,
  history: readonly VolumeUse[],
): Promise<VolumeInfo> {
  const w = where(paths, name);
  const st = await lstat(w.dir).catch(() => undefined);
  if (!st?.isDirectory())
    throw usageError(
      'ERR_JRT_VOLUME_NOT_FOUND',
      `no ${w.kind} '${name}' in ${path.dirname(w.dir)}`,
      "see 'jrt volume list'",
    );
  const [e] = await listEntries(path.dirname(w.dir), (n) => n === w.bare);
  if (!e) throw usageError('ERR_JRT_VOLUME_NOT_FOUND', `no ${w.kind} '${name}' in ${path.dirname(w.dir)}`);
  return describeVolume(e, w.kind, await runningJobs(paths.state), history);
}

function refuseInUse(name: string, users: readonly RunningJob[]): void {
  if (users.length === 0) return;
  throw failure(
    'ERR_JRT_VOLUME_IN_USE',
    `${name} is mounted by running job(s) ${users.map((u) => `pid ${u.pid} (${u.id})`).join(', ')}; nothing was removed`,
    { hint: 'wait for them to finish, then remove it' },
  );
}

/**
 * Remove a volume no running job mounts: renamed aside first (a dot name no volume can have), so a
 * job starting now gets a fresh empty one instead of one being emptied; then the running jobs are
 * read again, and a job that recorded itself meanwhile gets its volume back.
 */
export async function removeVolume(paths: Pick<JrtPaths, 'state'>, name: string): Promise<VolumeInfo> {
  const info = await findVolume(paths, name, []);
  const w = where(paths, name);
  const using = async () => (await runningJobs(paths.state)).filter((j) => uses(j, w.kind, w.bare));
  refuseInUse(name, await using());
  const mount = mountPoints().find((m) => m === w.dir || m.startsWith(`${w.dir}/`));
  if (mount)
    throw failure('ERR_JRT_VOLUME_IN_USE', `${mount} is mounted inside ${name}; nothing was removed`, {
      hint: 'unmount it first; jrt never deletes through a mount',
    });
  const aside = path.join(path.dirname(w.dir), `.removing-${process.pid}-${w.bare}`);
  await rename(w.dir, aside);
  const late = await using();
  if (late.length > 0) {
    // Back under its name; if a job made a fresh one there meanwhile, under a name gc never takes,
    // and the error says where: nothing of it is removed either way.
    const back = await rename(aside, w.dir).then(
      () => undefined,
      async () => {
        const kept = path.join(path.dirname(w.dir), `.kept-${process.pid}-${w.bare}`);
        await rename(aside, kept);
        return kept;
      },
    );
    if (back)
      throw failure(
        'ERR_JRT_VOLUME_IN_USE',
        `${name} came into use by running job(s) ${late.map((u) => `pid ${u.pid} (${u.id})`).join(', ')} while it was being removed, which made a new one; nothing was removed: its data is at ${back}`,
        { hint: 'move what you need from there once the jobs are done, then remove it yourself' },
      );
    refuseInUse(name, late);
  }
  await removeTree(aside);
  return info;
}
