/**
 * Atomic placement. The staged directory is renamed into <language>/.jrt/<name>@<digest12>, a new
 * symlink is made under a temporary name and renamed over <language>/<name>. rename() is atomic, so
 * at every instant <language>/<name> is the old runtime or the new one; a kill -9 leaves only debris
 * in dot directories, which the next run removes (cleanDebris).
 */
import { lstat, mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { jobsUsing, pidAlive } from './in-use.js';
import {
  currentVersion,
  LINK_TMP_PREFIX,
  runtimeLink,
  STAGING_DIR,
  VERSIONS_DIR,
  versionDirName,
  versionsDir,
} from './layout.js';
import { acquireLock } from './lock.js';

/** Test-only: with JRT_TEST_PAUSE_AT=<point>, print a marker and wait to be killed there. */
export async function pausePoint(
  env: NodeJS.ProcessEnv,
  point: string,
  write: (s: string) => void,
): Promise<void> {
  if (env.JRT_TEST_PAUSE_AT !== point) return;
  write(`JRT_TEST_PAUSED ${point}`);
  await new Promise<never>(() => {
    setInterval(() => {}, 1 << 30);
  });
}

/** A new staging directory path for `name`: <root>/.jrt-staging/<pid>-<name>-<random>. */
export async function stagingPath(root: string, name: string): Promise<string> {
  const dir = path.join(root, STAGING_DIR);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  return path.join(dir, `${process.pid}-${name}-${Math.random().toString(36).slice(2, 10)}`);
}

const ownerPid = (entry: string) =>
  Number.parseInt(entry.replace(LINK_TMP_PREFIX, '').split(/[-.]/)[0] ?? '', 10);

/**
 * Remove what interrupted runs left: staging dirs and temporary links of dead processes, and
 * version dirs that no symlink points at and no running job uses.
 */
export async function cleanDebris(root: string, state: string): Promise<string[]> {
  const removed: string[] = [];
  const staging = path.join(root, STAGING_DIR);
  for (const e of await readdir(staging).catch(() => [] as string[])) {
    if (pidAlive(ownerPid(e))) continue;
    await rm(path.join(staging, e), { recursive: true, force: true });
    removed.push(path.join(staging, e));
  }
  for (const language of await readdir(root).catch(() => [] as string[])) {
    if (language.startsWith('.')) continue;
    const langDir = path.join(root, language);
    const entries = await readdir(langDir).catch(() => [] as string[]);
    for (const e of entries.filter((x) => x.startsWith(LINK_TMP_PREFIX))) {
      if (pidAlive(ownerPid(e))) continue;
      await rm(path.join(langDir, e), { force: true });
      removed.push(path.join(langDir, e));
    }
    const names = new Set(
      (await readdir(versionsDir(root, language)).catch(() => [] as string[])).map(
        (v) => v.split('@')[0] ?? v,
      ),
    );
    for (const name of names) {
      // Only under the runtime's lock: a concurrent install may have placed a dir it is about to switch to.
      const release = await acquireLock(state, name, { timeoutMs: 0 }).catch(() => undefined);
      if (!release) continue;
      try {
        removed.push(...(await removeOldVersions(root, language, name, state)));
      } finally {
        await release();
      }
    }
  }
  return removed;
}

/** Delete every version dir of `name` except the live one and those running jobs use. */
export async function removeOldVersions(
  root: string,
  language: string,
  name: string,
  state: string,
): Promise<string[]> {
  const live = await currentVersion(root, language, name);
  const vdir = versionsDir(root, language);
  const removed: string[] = [];
  for (const v of await readdir(vdir).catch(() => [] as string[])) {
    if (!v.startsWith(`${name}@`)) continue;
    const dir = path.join(vdir, v);
    if (live && path.resolve(live.dir) === dir) continue;
    if ((await jobsUsing(dir, state)).length > 0) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

export interface CommitOptions {
  root: string;
  state: string;
  language: string;
  name: string;
  digest: string;
  stagedDir: string;
  env: NodeJS.ProcessEnv;
  write: (s: string) => void;
}

/** Move a staged runtime into place and switch the symlink to it; returns the new real dir. */
export async function commitRuntime(o: CommitOptions): Promise<string> {
  const vdir = versionsDir(o.root, o.language);
  await mkdir(vdir, { recursive: true, mode: 0o755 });
  const live = await currentVersion(o.root, o.language, o.name);
  let base = versionDirName(o.name, o.digest);
  const wanted = path.join(vdir, base);
  if (live && path.resolve(live.dir) === wanted) {
    // --force over the same contents: a fresh directory, so the live one is never touched.
    base = `${base}~${Date.now().toString(36)}`;
  } else {
    // Left by an interrupted run (renamed into place, never switched to).
    await rm(wanted, { recursive: true, force: true });
  }
  const finalDir = path.join(vdir, base);
  await rename(o.stagedDir, finalDir);
  await pausePoint(o.env, 'placed', o.write);

  const link = runtimeLink(o.root, o.language, o.name);
  if (live?.kind === 'dir') {
    // A plain directory from deploy_runtimes.sh: move it aside (kept as a version until unused).
    await rename(link, path.join(vdir, `${o.name}@legacy${Date.now().toString(36)}`));
  }
  const tmp = path.join(o.root, o.language, `${LINK_TMP_PREFIX}${process.pid}-${o.name}`);
  await rm(tmp, { force: true });
  await symlink(path.join(VERSIONS_DIR, base), tmp);
  await pausePoint(o.env, 'switching', o.write);
  await rename(tmp, link);
  await pausePoint(o.env, 'switched', o.write);
  return finalDir;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
