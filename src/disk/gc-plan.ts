/**
 * What `jrt gc` removes, decided purely from a snapshot (snapshot.ts) and the retention settings:
 * every candidate comes back with what is done to it and why, so `--dry-run` shows exactly what a
 * real run does. Anything a live build, install or job may use is kept, and so is whatever is
 * unknown (a name jrt does not make, a recipe that could not be read): gc removes only what it can
 * prove nothing references.
 */
import path from 'node:path';
import { JOBS_LOG, ROTATED_JOBS } from '../runner/jobs.js';
import type { GcSettings } from './settings.js';
import type { DiskSnapshot, Entry, VersionDir } from './snapshot.js';

export type GcKind = 'blob' | 'artifact' | 'base' | 'temp' | 'version' | 'volume' | 'log' | 'job-records';

export interface GcItem {
  kind: GcKind;
  path: string;
  bytes: number;
  /** `rotate`: jobs.jsonl is renamed aside (its records kept, in the same format). */
  action: 'remove' | 'keep' | 'rotate';
  reason: string;
}

export interface GcPlan {
  items: GcItem[];
  /** Bytes the `remove` items free. */
  freed: number;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** A partial a process writes next to what it makes (blobs.ts, base.ts): `...-<pid>...`. */
const INCOMING = /^\.incoming-(?:[0-9a-f]{64}-)?(\d+)(?:-\d+)?$/;
const BASE_PART = /\.part-(\d+)\.tmp$/;
const BASE = /^[a-z0-9+-]+@[A-Za-z0-9._+-]+\.tar$/;
const BUILD_DIR = /^build-(\d+)-[0-9a-f]+$/;
const BUILD_LOG = /^build-.+\.log$/;
/** A volume `jrt volume remove` renamed aside (disk/volumes.ts). */
const REMOVING = /^\.removing-(\d+)-(.+)$/;

const item = (kind: GcKind, e: Entry, action: GcItem['action'], reason: string): GcItem => ({
  kind,
  path: e.path,
  bytes: e.bytes,
  action,
  reason,
});

/** A tree holding a mount point is never removed: deleting through a mount reaches another filesystem. */
function mountedBelow(s: DiskSnapshot, p: string): string | undefined {
  return s.mounts.find((m) => m === p || m.startsWith(`${p}/`));
}

function liveBuilds(s: DiskSnapshot): number[] {
  return s.temp.flatMap((e) => {
    const m = BUILD_DIR.exec(e.name);
    const pid = Number(m?.[1]);
    return m && s.alive(pid) ? [pid] : [];
  });
}

/** Blobs, artifacts and bases: a running build may be about to use any of them. */
function cacheBusy(s: DiskSnapshot): string | undefined {
  const builds = liveBuilds(s);
  return builds.length > 0 ? `a build is running (pid ${builds.join(', ')})` : undefined;
}

function planBlobs(s: DiskSnapshot): GcItem[] {
  const busy = cacheBusy(s);
  return s.blobs.map((e) => {
    const incoming = INCOMING.exec(e.name);
    if (incoming) {
      const pid = Number(incoming[1]);
      return s.alive(pid)
        ? item('blob', e, 'keep', `being downloaded by pid ${pid}`)
        : item('blob', e, 'remove', `partial download of pid ${pid}, which is gone`);
    }
    if (!SHA256.test(e.name)) return item('blob', e, 'keep', 'not a name jrt gives a blob');
    if (s.recipes.blobs.has(e.name)) return item('blob', e, 'keep', `pinned by a lock in ${s.recipes.dir}`);
    if (busy) return item('blob', e, 'keep', busy);
    if (s.recipes.problems.length > 0)
      return item('blob', e, 'keep', `recipes could not all be read (${s.recipes.problems[0]})`);
    return item('blob', e, 'remove', `no lock in ${s.recipes.dir} pins it`);
  });
}

function planArtifacts(s: DiskSnapshot, keep: number): GcItem[] {
  const busy = cacheBusy(s);
  const byRuntime = new Map<string, typeof s.artifacts>();
  const out: GcItem[] = [];
  for (const a of s.artifacts) {
    if (a.runtime === undefined) out.push(item('artifact', a, 'keep', 'not a readable artifact'));
    else byRuntime.set(a.runtime, [...(byRuntime.get(a.runtime) ?? []), a]);
  }
  for (const [runtime, list] of byRuntime) {
    const installing = s.installing.find((i) => i.name === runtime);
    const newestFirst = [...list].sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? -1 : 1));
    newestFirst.forEach((a, i) => {
      if (i < keep) out.push(item('artifact', a, 'keep', `among the ${keep} newest of ${runtime}`));
      else if (installing)
        out.push(item('artifact', a, 'keep', `pid ${installing.pid} is installing ${runtime}`));
      else if (busy) out.push(item('artifact', a, 'keep', busy));
      else out.push(item('artifact', a, 'remove', `older than the ${keep} newest of ${runtime}`));
    });
  }
  return out;
}

function planBases(s: DiskSnapshot): GcItem[] {
  const busy = cacheBusy(s);
  return s.bases.map((e) => {
    const part = BASE_PART.exec(e.name);
    if (part) {
      const pid = Number(part[1]);
      return s.alive(pid)
        ? item('base', e, 'keep', `being made by pid ${pid}`)
        : item('base', e, 'remove', `partial base root of pid ${pid}, which is gone`);
    }
    if (!BASE.test(e.name)) return item('base', e, 'keep', 'not a name jrt gives a base root');
    if (s.recipes.bases.has(e.name))
      return item('base', e, 'keep', `a recipe in ${s.recipes.dir} builds on it`);
    if (busy) return item('base', e, 'keep', busy);
    if (s.recipes.problems.length > 0)
      return item('base', e, 'keep', `recipes could not all be read (${s.recipes.problems[0]})`);
    return item('base', e, 'remove', `no recipe in ${s.recipes.dir} builds on it (suite, pockets, mirrors)`);
  });
}

function planTemp(s: DiskSnapshot): GcItem[] {
  return s.temp.map((e) => {
    const m = BUILD_DIR.exec(e.name);
    if (!m) return item('temp', e, 'keep', 'not a name jrt gives a build directory');
    const pid = Number(m[1]);
    if (s.alive(pid)) return item('temp', e, 'keep', `build pid ${pid} is running`);
    const mount = mountedBelow(s, e.path);
    if (mount) return item('temp', e, 'keep', `${mount} is mounted below it`);
    return item('temp', e, 'remove', `build pid ${pid} is gone`);
  });
}

/** Whether a live job uses version `v`: it recorded a directory inside it, or only the name's. */
function pinnedBy(s: DiskSnapshot, v: VersionDir, namePath: string | undefined): number | undefined {
  const inside = (p: string) => p === v.path || p.startsWith(`${v.path}/`);
  return s.jobs.find(
    (j) =>
      j.runtimeDir !== undefined &&
      (inside(path.resolve(j.runtimeDir)) || path.resolve(j.runtimeDir) === namePath),
  )?.pid;
}

function planVersions(s: DiskSnapshot, graceMs: number): GcItem[] {
  return s.versionDirs.map((v) => {
    const named = s.runtimes.find((r) => r.language === v.language && r.name === v.runtime);
    if (s.runtimes.some((r) => r.current === v.path))
      return item('version', v, 'keep', `the current version of ${v.runtime}`);
    const installing = s.installing.find((i) => i.name === v.runtime);
    if (installing) return item('version', v, 'keep', `pid ${installing.pid} is installing ${v.runtime}`);
    const pid = pinnedBy(s, v, named?.path);
    if (pid !== undefined) return item('version', v, 'keep', `running job pid ${pid} uses it`);
    const switched = named?.switchedAtMs;
    if (switched !== undefined && s.nowMs - switched < graceMs)
      return item(
        'version',
        v,
        'keep',
        `${v.runtime} switched ${Math.round((s.nowMs - switched) / 1000)} s ago: a job may be starting on it`,
      );
    const mount = mountedBelow(s, v.path);
    if (mount) return item('version', v, 'keep', `${mount} is mounted below it`);
    return item('version', v, 'remove', `no name points at it and no running job uses it`);
  });
}

/** What a `jrt volume remove` that died left: the volume it had renamed aside to delete. */
function planVolumeDebris(s: DiskSnapshot): GcItem[] {
  return s.volumeDebris.map((e) => {
    const pid = Number(REMOVING.exec(e.name)?.[1]);
    if (!pid) return item('volume', e, 'keep', 'not a name jrt gives a volume being removed');
    if (s.alive(pid)) return item('volume', e, 'keep', `being removed by pid ${pid}`);
    // A job that started between the remover's two looks at the running jobs uses it (volumes.ts).
    const name = REMOVING.exec(e.name)?.[2] as string;
    const cache = path.basename(path.dirname(e.path)) === 'package-caches';
    const user = s.jobs.find((j) => (cache ? j.packageCache === name : (j.volumes ?? []).includes(name)));
    if (user) return item('volume', e, 'keep', `running job pid ${user.pid} uses it`);
    const mount = mountedBelow(s, e.path);
    if (mount) return item('volume', e, 'keep', `${mount} is mounted below it`);
    return item('volume', e, 'remove', `left by jrt volume remove of pid ${pid}, which is gone`);
  });
}

function planLogs(s: DiskSnapshot, g: GcSettings): GcItem[] {
  const byAge = s.logs.map((e) => {
    const age = s.nowMs - e.mtimeMs;
    if (e.name === JOBS_LOG) {
      return e.bytes > g.jobsRotateBytes
        ? item('job-records', e, 'rotate', `larger than jobs_rotate_size (${g.jobsRotateBytes} bytes)`)
        : item('job-records', e, 'keep', 'the current job log');
    }
    const kind: GcKind = ROTATED_JOBS.test(e.name) ? 'job-records' : 'log';
    if (kind === 'log' && !BUILD_LOG.test(e.name)) return item('log', e, 'keep', 'not a log jrt writes');
    return age > g.logMaxAgeMs
      ? item(kind, e, 'remove', `older than log_max_age (${Math.floor(age / 86_400_000)} days)`)
      : item(kind, e, 'keep', 'within log_max_age');
  });
  // Then by size: newest first, what comes past log_max_size together goes (the oldest).
  const mtime = new Map(s.logs.map((e) => [e.path, e.mtimeMs]));
  const young = byAge
    .filter((i) => i.reason === 'within log_max_age')
    .sort((a, b) => (mtime.get(b.path) ?? 0) - (mtime.get(a.path) ?? 0));
  let total = 0;
  const over = new Set<string>();
  for (const i of young) {
    total += i.bytes;
    if (total > g.logMaxBytes) over.add(i.path);
  }
  return byAge.map((i) =>
    over.has(i.path)
      ? { ...i, action: 'remove', reason: `past log_max_size (${g.logMaxBytes} bytes), oldest first` }
      : i,
  );
}

export function planGc(s: DiskSnapshot, g: GcSettings): GcPlan {
  const items = [
    ...planBlobs(s),
    ...planArtifacts(s, g.keepArtifacts),
    ...planBases(s),
    ...planTemp(s),
    ...planVersions(s, g.versionGraceMs),
    ...planVolumeDebris(s),
    ...planLogs(s, g),
  ];
  return { items, freed: items.filter((i) => i.action === 'remove').reduce((n, i) => n + i.bytes, 0) };
}
