/**
 * Atomic placement (layout: see layout.ts). The staged tree is renamed into
 * <language>/.jrt/<name>@<digest12>; then `<name>/.jrt-current` is replaced by a new symlink made
 * under a temporary name and renamed over it. rename() is atomic, so at every instant <name> shows
 * the old runtime or the new one. A first install builds the whole <name>/ directory under a
 * temporary name and renames it into place, so it appears complete or not at all. A kill -9 leaves
 * only debris under dot names, which the next run removes (cleanDebris). For a power loss too, the
 * version is synced to disk (syncfs) before anything points at it, and each switch's directory is
 * fsynced after its rename.
 */
import { lstat, mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { syncDirectory, syncFilesystem } from '../core/durable.js';
import { processAlive } from '../core/pid.js';
import { isSpecLink } from '../joblet/spec-names.js';
import { jobsUsing } from './in-use.js';
import {
  CURRENT_LINK,
  currentVersion,
  LINK_TMP_PREFIX,
  NEW_DIR_PREFIX,
  runtimePath,
  STAGING_DIR,
  VERSIONS_DIR,
  versionDirName,
  versionsDir,
} from './layout.js';
import { acquireLock, IDENTITY_LOCK } from './lock.js';

/**
 * Test-only: with JRT_TEST_PAUSE_AT=<point>, print a marker and wait there until killed, or until
 * SIGUSR2 lets the install go on (a test that makes another jrt act at exactly that moment).
 */
export async function pausePoint(
  env: NodeJS.ProcessEnv,
  point: string,
  write: (s: string) => void,
): Promise<void> {
  if (env.JRT_TEST_PAUSE_AT !== point) return;
  await new Promise<void>((resolve) => {
    const alive = setInterval(() => {}, 1 << 30);
    process.once('SIGUSR2', () => {
      clearInterval(alive);
      resolve();
    });
    write(`JRT_TEST_PAUSED ${point}`);
  });
}

export interface Staging {
  /** <root>/.jrt-staging/<pid>-<name>-<random>: removed as a whole. */
  dir: string;
  /** dir/tree: where the runtime is extracted. One level down, so a scanner that reads
   * <root>/<x>/<y>/runtime.yml (Joblet does) never finds a half-extracted runtime. */
  tree: string;
}

export async function createStaging(root: string, name: string): Promise<Staging> {
  const base = path.join(root, STAGING_DIR);
  await mkdir(base, { recursive: true, mode: 0o755 });
  const dir = path.join(base, `${process.pid}-${name}-${Math.random().toString(36).slice(2, 10)}`);
  await mkdir(dir, { mode: 0o700 });
  return { dir, tree: path.join(dir, 'tree') };
}

const ownerPid = (entry: string, prefix = '') =>
  Number.parseInt(entry.slice(prefix.length).split(/[-.]/)[0] ?? '', 10);

async function removeDeadOwned(dir: string, prefix: string, removed: string[]): Promise<void> {
  for (const e of await readdir(dir).catch(() => [] as string[])) {
    if (!e.startsWith(prefix) || processAlive(ownerPid(e, prefix))) continue;
    await rm(path.join(dir, e), { recursive: true, force: true });
    removed.push(path.join(dir, e));
  }
}

/**
 * Remove what interrupted runs left: staging dirs, temporary links and new-dir attempts of dead
 * processes, the identity lock of a dead installer, and version dirs that nothing points at and no
 * running job uses.
 */
export async function cleanDebris(root: string, state: string): Promise<string[]> {
  const removed: string[] = [];
  // Taken over if its holder is dead (and then released); left alone while a live install holds it.
  const ids = await acquireLock(state, IDENTITY_LOCK, { timeoutMs: 0 }).catch(() => undefined);
  await ids?.();
  await removeDeadOwned(path.join(root, STAGING_DIR), '', removed);
  // Spec links being made (installer/spec-entries.ts).
  await removeDeadOwned(root, LINK_TMP_PREFIX, removed);
  for (const top of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    // Only real language directories: never through a spec link (<root>/<spec> -> <language>/<name>).
    const language = top.name;
    if (language.startsWith('.') || !top.isDirectory()) continue;
    const langDir = path.join(root, language);
    await removeDeadOwned(versionsDir(root, language), NEW_DIR_PREFIX, removed);
    const entries = await readdir(langDir).catch(() => [] as string[]);
    for (const name of entries.filter((e) => !e.startsWith('.')))
      await removeDeadOwned(path.join(langDir, name), LINK_TMP_PREFIX, removed);
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
    if ((await jobsUsing(dir, state, runtimePath(root, language, name))).length > 0) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

export interface CommitOptions {
  root: string;
  language: string;
  name: string;
  digest: string;
  /** The extracted runtime (Staging.tree). */
  stagedTree: string;
  env: NodeJS.ProcessEnv;
  write: (s: string) => void;
}

/** Fixed links <name>/<entry> -> .jrt-current/<entry> for every top-level entry of a version. */
async function ensureEntryLinks(nameDir: string, versionDir: string): Promise<void> {
  const have = new Set(await readdir(nameDir).catch(() => [] as string[]));
  for (const entry of await readdir(versionDir)) {
    if (have.has(entry)) continue;
    await symlink(path.join(CURRENT_LINK, entry), path.join(nameDir, entry));
  }
}

/** Links of entries the live version no longer has (dangling after a switch). */
async function dropStaleEntryLinks(nameDir: string, versionDir: string): Promise<void> {
  const keep = new Set(await readdir(versionDir));
  for (const entry of await readdir(nameDir)) {
    if (entry.startsWith('.') || keep.has(entry)) continue;
    await rm(path.join(nameDir, entry), { force: true });
  }
}

/**
 * fsync the directory of a switch that has happened: a failure cannot undo it, so the install is not
 * reported failed for it; it is said, since the switch may not survive a power loss.
 */
async function syncSwitch(dir: string, write: (s: string) => void): Promise<void> {
  try {
    await syncDirectory(dir);
  } catch (e) {
    write(`jrt: warning: switched, but ${dir} could not be synced to disk: ${(e as Error).message}`);
  }
}

/**
 * A language directory's name held by one of jrt's spec links (a runtime named like this language):
 * the link goes, or the install would land inside that runtime. The spec sync then leaves the name
 * to the directory (and says so).
 */
async function dropSpecLinkAt(langDir: string): Promise<void> {
  const target = await readlink(langDir).catch(() => undefined);
  if (target !== undefined && isSpecLink(path.basename(langDir), target)) await rm(langDir, { force: true });
}

/** Move a staged runtime into place and switch to it; returns the new version dir. */
export async function commitRuntime(o: CommitOptions): Promise<string> {
  await dropSpecLinkAt(path.join(o.root, o.language));
  const vdir = versionsDir(o.root, o.language);
  await mkdir(vdir, { recursive: true, mode: 0o755 });
  const live = await currentVersion(o.root, o.language, o.name);
  let base = versionDirName(o.name, o.digest);
  if (await lstat(path.join(vdir, base)).catch(() => undefined)) {
    // Taken: the live version (--force), one a running job still uses, or debris of an interrupted
    // run. Never touch it here; a fresh name keeps the switch atomic and old versions are removed
    // afterwards only when unused.
    base = `${base}~${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  }
  const finalDir = path.join(vdir, base);
  await rename(o.stagedTree, finalDir);
  // On disk before anything points at it: the version's files and its rename into .jrt/.
  await syncFilesystem(finalDir);
  await pausePoint(o.env, 'placed', o.write);

  const nameDir = runtimePath(o.root, o.language, o.name);
  const target = path.join('..', VERSIONS_DIR, base);
  if (live?.kind !== 'managed') {
    // First install (or a plain directory from deploy_runtimes.sh): build <name>/ aside, rename it in.
    // Built inside .jrt/, which a two-level scanner (Joblet) never descends into.
    const fresh = path.join(vdir, `${NEW_DIR_PREFIX}${process.pid}-${o.name}`);
    await rm(fresh, { recursive: true, force: true });
    await mkdir(fresh, { mode: 0o755 });
    await symlink(target, path.join(fresh, CURRENT_LINK));
    await ensureEntryLinks(fresh, finalDir);
    await syncDirectory(fresh);
    await pausePoint(o.env, 'switching', o.write);
    if (live?.kind === 'plain') {
      // Kept as a version until unused; between these two renames the name is briefly absent.
      await rename(nameDir, path.join(vdir, `${o.name}@legacy${Date.now().toString(36)}`));
    }
    await rename(fresh, nameDir);
    await syncSwitch(path.dirname(nameDir), o.write);
    await pausePoint(o.env, 'switched', o.write);
    return finalDir;
  }
  await ensureEntryLinks(nameDir, finalDir);
  const tmp = path.join(nameDir, `${LINK_TMP_PREFIX}${process.pid}`);
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await pausePoint(o.env, 'switching', o.write);
  await rename(tmp, path.join(nameDir, CURRENT_LINK));
  await syncSwitch(nameDir, o.write);
  await pausePoint(o.env, 'switched', o.write);
  await dropStaleEntryLinks(nameDir, finalDir);
  return finalDir;
}
