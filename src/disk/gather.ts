/**
 * The effects edge of `jrt gc` and `jrt df`: list jrt's directories (lstat, never following a
 * symlink), read the recipes dir's locks, the locks and job records jrt keeps, and the mount table,
 * into a DiskSnapshot (snapshot.ts) that gc-plan.ts judges purely.
 */
import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { readArtifactHead } from '../artifact/read.js';
import { archivesOf, type Mirrors } from '../builder/archives.js';
import { baseTarball } from '../builder/base.js';
import { lockPockets, readRecipeLock } from '../builder/lock.js';
import { hostDebianMirror, hostDebianSecurityMirror } from '../core/host-sources.js';
import type { JrtPaths } from '../core/paths.js';
import { holderAlive, processAlive } from '../core/pid.js';
import { CURRENT_LINK, isValidName, VERSIONS_DIR } from '../installer/layout.js';
import { isSpecDirName } from '../joblet/spec-names.js';
import { loadRecipe, recipeFiles } from '../recipe/load.js';
import { runningJobs } from '../runner/jobs.js';
import { mountPoints } from '../uninstall/gather.js';
import type { DiskSnapshot, Entry, InstalledName, RecipeNeeds, VersionDir } from './snapshot.js';
import { uniqueBytes } from './usage.js';
import { type Inode, walkInodes } from './walk.js';

export interface WalkedEntry extends Entry {
  inodes: Inode[];
}

const isDir = async (p: string) => (await lstat(p).catch(() => undefined))?.isDirectory() === true;

/** Names of a directory; [] when it is absent or not a directory. */
export async function names(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/**
 * Every entry of `dir`, each summed as a tree (walk.ts). `dir` itself must be a real directory: a
 * symlink in its place (JRT_CACHE/tmp -> /) is not listed, so nothing beyond it is ever judged.
 */
export async function listEntries(dir: string, filter = (_: string) => true): Promise<WalkedEntry[]> {
  const out: WalkedEntry[] = [];
  if (!(await isDir(dir))) return out;
  for (const name of (await names(dir)).filter(filter)) {
    const p = path.join(dir, name);
    const st = await lstat(p).catch(() => undefined);
    if (!st) continue;
    const inodes = await walkInodes(p);
    out.push({ path: p, name, bytes: uniqueBytes(inodes), mtimeMs: st.mtimeMs, inodes });
  }
  return out;
}

/** Installed names (<root>/<lang>/<name>) and version dirs (<root>/<lang>/.jrt/<name>@...). */
export async function installedLayout(
  root: string,
): Promise<{ runtimes: InstalledName[]; versionDirs: (VersionDir & { inodes: Inode[] })[] }> {
  const runtimes: InstalledName[] = [];
  const versionDirs: (VersionDir & { inodes: Inode[] })[] = [];
  for (const language of await names(root)) {
    const langDir = path.join(root, language);
    if (language.startsWith('.') || !(await isDir(langDir))) continue;
    for (const name of await names(langDir)) {
      const p = path.join(langDir, name);
      // jrt's spec directories for Joblet (joblet/spec-names.ts) stand for a runtime; they are not one.
      if (name.startsWith('.') || isSpecDirName(name) || !(await isDir(p))) continue;
      const link = await lstat(path.join(p, CURRENT_LINK)).catch(() => undefined);
      const target = link?.isSymbolicLink()
        ? await readlink(path.join(p, CURRENT_LINK)).catch(() => undefined)
        : undefined;
      runtimes.push({
        language,
        name,
        path: p,
        ...(target !== undefined ? { current: path.resolve(p, target), switchedAtMs: link?.ctimeMs } : {}),
      });
    }
    const vdir = path.join(langDir, VERSIONS_DIR);
    // `<name>@<digest>` with a valid name (its install lock is taken by it); `.jrt-new-*` is not one.
    const isVersion = (n: string) => isValidName(n.slice(0, Math.max(0, n.indexOf('@'))));
    for (const e of await listEntries(vdir, isVersion))
      versionDirs.push({ ...e, language, runtime: e.name.slice(0, e.name.indexOf('@')) });
  }
  return { runtimes, versionDirs };
}

/**
 * The blobs the recipes dir's committed locks pin, and the base roots its recipes and locks build on
 * with this host's mirrors (suite, pockets and mirrors name a base: builder/base.ts). Without the
 * mirrors no base is known, and that is a problem: no base is then removed.
 */
export async function recipeNeeds(dir: string, mirrors: Mirrors | undefined): Promise<RecipeNeeds> {
  const needs: RecipeNeeds = { dir, blobs: new Set(), bases: new Set(), problems: [] };
  if (mirrors === undefined) needs.problems.push("the host's Debian mirrors could not be read");
  const base = (suite: string, pockets: Parameters<typeof archivesOf>[1]) => {
    if (mirrors) needs.bases.add(path.basename(baseTarball('/', archivesOf(suite, pockets, mirrors))));
  };
  let files: string[];
  try {
    files = await recipeFiles(dir);
  } catch (e) {
    needs.problems.push((e as Error).message);
    return needs;
  }
  for (const file of files) {
    try {
      const { recipe } = await loadRecipe(file);
      base(recipe.base, recipe.pockets);
      const { lock } = await readRecipeLock(file, recipe.name);
      if (!lock) continue;
      base(lock.suite, lockPockets(lock));
      for (const i of [...lock.base, ...lock.packages, ...lock.sources]) needs.blobs.add(i.sha256);
    } catch (e) {
      needs.problems.push(`${path.basename(file)}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return needs;
}

/** Runtime names whose install lock a live process holds (installer/lock.ts). */
export async function liveInstalls(state: string): Promise<{ name: string; pid: number }[]> {
  const dir = path.join(state, 'locks');
  const out: { name: string; pid: number }[] = [];
  for (const f of (await names(dir)).filter((n) => n.endsWith('.lock'))) {
    const content = await readFile(path.join(dir, f), 'utf8').catch(() => '');
    if (content && holderAlive(content))
      out.push({ name: f.slice(0, -5), pid: Number.parseInt(content, 10) });
  }
  return out;
}

/** Only regular files are opened: a name in the cache is never followed anywhere. */
async function artifactRuntime(e: Entry): Promise<string | undefined> {
  if (!(await lstat(e.path).catch(() => undefined))?.isFile()) return undefined;
  // readArtifactHead validates the manifest: its name is a valid runtime name (a lock file's name).
  return readArtifactHead(e.path).then(
    (h) => h.manifest.name,
    () => undefined,
  );
}

/**
 * jrt's directories with their symlinks resolved: job records hold real paths (realpath at job
 * start) and the mount table does too, so the snapshot's paths must be real to be compared.
 */
export async function realPaths(p: JrtPaths): Promise<JrtPaths> {
  const real = (d: string) => realpath(d).catch(() => d);
  return {
    ...p,
    root: await real(p.root),
    cache: await real(p.cache),
    state: await real(p.state),
    log: await real(p.log),
  };
}

export async function gatherSnapshot(given: JrtPaths, now = Date.now()): Promise<DiskSnapshot> {
  const paths = await realPaths(given);
  const { runtimes, versionDirs } = await installedLayout(paths.root);
  const artifacts = [];
  for (const a of await listEntries(path.join(paths.cache, 'artifacts'))) {
    const runtime = await artifactRuntime(a);
    artifacts.push({ ...a, ...(runtime !== undefined ? { runtime } : {}) });
  }
  const [debian, security] = await Promise.all([
    hostDebianMirror().catch(() => undefined),
    hostDebianSecurityMirror().catch(() => undefined),
  ]);
  const mirrors = debian !== undefined && security !== undefined ? { debian, security } : undefined;
  return {
    nowMs: now,
    alive: processAlive,
    runtimes,
    versionDirs,
    blobs: await listEntries(path.join(paths.cache, 'blobs', 'sha256')),
    artifacts,
    bases: await listEntries(path.join(paths.cache, 'bases')),
    temp: await listEntries(path.join(paths.cache, 'tmp')),
    volumeDebris: [
      ...(await listEntries(path.join(paths.state, 'volumes'), (n) => n.startsWith('.removing-'))),
      ...(await listEntries(path.join(paths.state, 'package-caches'), (n) => n.startsWith('.removing-'))),
    ],
    logs: await listEntries(paths.log, (n) => n.endsWith('.log') || n.endsWith('.jsonl')),
    recipes: await recipeNeeds(paths.recipes, mirrors),
    installing: await liveInstalls(paths.state),
    jobs: await runningJobs(paths.state),
    mounts: mountPoints(),
  };
}
