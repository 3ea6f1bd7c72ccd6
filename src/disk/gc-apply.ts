/**
 * `jrt gc`: gather a snapshot, plan (gc-plan.ts, pure), then remove — under the locks the others
 * take, so nothing a running build, install or job uses goes:
 *
 * - builds: gc holds the `.gc` lock for its whole run and only then looks for live build dirs; a
 *   build makes its dir first and then waits while a live gc holds `.gc` (session.ts). Each side
 *   announces itself before it looks at the other, so one of them always sees the other: a build
 *   that gc did not see has not fetched a blob yet and waits until gc is done.
 * - installs: a runtime's versions and artifacts are removed only under its install lock
 *   (installer/lock.ts), taken without waiting; an install that holds it keeps them.
 * - jobs: under that lock the version is checked again against the running jobs (in-use.ts),
 *   right before it goes.
 *
 * What is removed was found by listing jrt's own directories; removeTree never follows a symlink,
 * and a tree holding a mount point is kept (gc-plan.ts).
 */
import { readFile, realpath, rename } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeSpace } from '../core/disk.js';
import { failure } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { holderAlive } from '../core/pid.js';
import { removeTree } from '../core/remove-tree.js';
import { jobsUsing } from '../installer/in-use.js';
import { currentVersion, runtimePath } from '../installer/layout.js';
import { acquireLock, type Release } from '../installer/lock.js';
import { rotatedJobsName } from '../runner/jobs.js';
import { gatherSnapshot, realPaths } from './gather.js';
import { type GcItem, planGc } from './gc-plan.js';
import type { GcSettings } from './settings.js';

/** The lock a gc holds for its whole run; builds wait while a live process holds it. */
export const GC_LOCK = '.gc';

export interface GcResult {
  dryRun: boolean;
  /** Bytes of what was (or would be) removed. */
  freed: number;
  removed: GcItem[];
  rotated: GcItem[];
  kept: GcItem[];
  failed: (GcItem & { error: string })[];
}

/**
 * Wait while a live gc holds its lock (a build calls this once its own build dir exists). Only
 * read: a build needs no write access to JRT_STATE for it.
 */
export async function waitForGc(
  state: string,
  onWait?: (pid: number) => void,
  timeoutMs = 30 * 60_000,
): Promise<void> {
  const file = path.join(state, 'locks', `${GC_LOCK}.lock`);
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const content = await readFile(file, 'utf8').catch(() => '');
    if (content === '' || !holderAlive(content)) return;
    const pid = Number.parseInt(content, 10);
    if (!told) onWait?.(pid);
    told = true;
    if (Date.now() > deadline)
      throw failure(
        'ERR_JRT_LOCKED',
        `jrt gc (pid ${pid}) has held ${file} for ${timeoutMs / 60_000} minutes`,
        {
          hint: `wait for it to finish, or remove ${file} if that process is gone`,
        },
      );
    await sleep(100);
  }
}

/** Why a version or artifact must stay after all, checked under its runtime's install lock. */
async function stillUsed(
  item: GcItem,
  p: JrtPaths,
  versionOf: (dir: string) => { language: string; runtime: string } | undefined,
): Promise<string | undefined> {
  const v = versionOf(item.path);
  if (!v) return undefined;
  const live = await currentVersion(p.root, v.language, v.runtime);
  if (live && path.resolve(live.dir) === item.path) return `it became the current version of ${v.runtime}`;
  const users = await jobsUsing(item.path, p.state, runtimePath(p.root, v.language, v.runtime));
  return users.length > 0 ? `running job pid ${users[0]?.pid} started on it` : undefined;
}

export async function runGc(
  given: JrtPaths,
  settings: GcSettings,
  opts: { dryRun: boolean; onWait?: (pid: number) => void; keep?: readonly string[] },
): Promise<GcResult> {
  const release = opts.dryRun
    ? async () => {}
    : await acquireLock(given.state, GC_LOCK, { onWait: opts.onWait });
  try {
    const p = await realPaths(given);
    const snapshot = await gatherSnapshot(p);
    const plan = planGc(snapshot, settings);
    const result: GcResult = {
      dryRun: opts.dryRun,
      freed: 0,
      removed: [],
      rotated: [],
      kept: [],
      failed: [],
    };
    const artifactRuntime = new Map(snapshot.artifacts.map((a) => [a.path, a.runtime]));
    const versions = new Map(
      snapshot.versionDirs.map((v) => [v.path, { language: v.language, runtime: v.runtime }]),
    );
    // What the command that runs this pass was asked to use (an artifact named to `jrt install`).
    const keep = new Set(
      await Promise.all((opts.keep ?? []).map((f) => realpath(f).catch(() => path.resolve(f)))),
    );
    for (const planned of plan.items) {
      const item: GcItem = keep.has(planned.path)
        ? { ...planned, action: 'keep', reason: 'named on the command line' }
        : planned;
      if (item.action === 'keep') {
        result.kept.push(item);
        continue;
      }
      if (opts.dryRun) {
        (item.action === 'rotate' ? result.rotated : result.removed).push(item);
        continue;
      }
      const owner =
        item.kind === 'version'
          ? versions.get(item.path)?.runtime
          : item.kind === 'artifact'
            ? artifactRuntime.get(item.path)
            : undefined;
      let lock: Release | undefined;
      try {
        if (owner !== undefined) {
          lock = await acquireLock(p.state, owner, { timeoutMs: 0 }).catch(() => undefined);
          if (!lock) {
            result.kept.push({ ...item, action: 'keep', reason: `an install of ${owner} started` });
            continue;
          }
          const why = await stillUsed(item, p, (d) => versions.get(d));
          if (why) {
            result.kept.push({ ...item, action: 'keep', reason: why });
            continue;
          }
        }
        if (item.action === 'rotate') {
          await rename(
            item.path,
            path.join(path.dirname(item.path), rotatedJobsName(new Date(snapshot.nowMs))),
          );
          result.rotated.push(item);
        } else {
          await removeTree(item.path);
          result.removed.push(item);
        }
      } catch (e) {
        result.failed.push({ ...item, error: (e as Error).message });
      } finally {
        await lock?.();
      }
    }
    result.freed = result.removed.reduce((n, i) => n + i.bytes, 0);
    return result;
  } finally {
    await release();
  }
}

/**
 * The pass `jrt install` and `jrt build` run before they start when a filesystem of jrt's (the
 * runtimes root's or the cache's) has less than `min_free` free: a gc, reported in one line.
 */
export async function gcIfLow(
  paths: JrtPaths,
  settings: GcSettings,
  say: (line: string) => void,
  keep: readonly string[] = [],
): Promise<GcResult | undefined> {
  const low = await lowFilesystem(paths, settings.minFreePercent);
  if (!low) return undefined;
  say(
    `jrt: ${low.path} has ${low.percent}% free, under min_free ${settings.minFreePercent}%: running jrt gc`,
  );
  const r = await runGc(paths, settings, { dryRun: false, keep });
  const { formatBytes } = await import('../core/disk.js');
  say(
    `jrt: gc removed ${r.removed.length} item(s), ${formatBytes(r.freed)}${r.failed.length > 0 ? `; ${r.failed.length} could not be removed (see 'jrt gc --dry-run')` : ''}`,
  );
  return r;
}

async function lowFilesystem(
  paths: JrtPaths,
  minPercent: number,
): Promise<{ path: string; percent: number } | undefined> {
  const { statfs } = await import('node:fs/promises');
  for (const dir of [paths.cache, paths.root]) {
    const free = await freeSpace(dir);
    const s = await statfs(free.path);
    const percent = Number(s.blocks) > 0 ? Math.floor((Number(s.bavail) * 100) / Number(s.blocks)) : 100;
    if (percent < minPercent) return { path: free.path, percent };
  }
  return undefined;
}
