/**
 * Collect the runtime tree from a finished build root: the files of the closure's packages, what
 * their symlinks point at (transitively), the alternatives links whose choice is in the tree, the
 * generated certificate store, the recipe's extra paths and a minimal /etc — then strip it and prove
 * that no build-only file got in. The build root is only read.
 */
import { lstat, mkdir, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../core/disk.js';
import { failure } from '../core/errors.js';
import { type OnProgress, phase, silentProgress } from '../core/progress.js';
import { walkTree } from '../core/tree-walk.js';
import type { StripRules } from '../recipe/types.js';
import { type ClosureResult, resolveClosure } from './closure.js';
import {
  type Diversion,
  type DpkgPackage,
  divertedPath,
  readAlternatives,
  readDiversions,
  readDpkgDb,
  readPackageFiles,
} from './dpkg.js';
import { canonicalInRoot, hostPathInRoot, isPlainPath, resolveInRoot } from './root-path.js';
import { stripTree } from './strip.js';
import { TreeCopier } from './tree-copy.js';

export interface CollectOptions {
  buildRoot: string;
  outTree: string;
  packages: string[];
  exclude: string[];
  buildOnly: string[];
  paths: string[];
  strip: StripRules;
  onProgress?: OnProgress;
}

export interface CollectResult {
  packages: { name: string; version: string }[];
  files: number;
  bytes: number;
  warnings: string[];
  /** Static libraries `strip.static_libs` removed (file names), for the smoke tests' diagnosis. */
  strippedStaticLibs: string[];
}

const TASK = 'closure';

/** The minimal identity and name-service files a job needs (no package owns them; scripts make them). */
export const GENERATED_ETC: Record<string, string> = {
  '/etc/passwd':
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  '/etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n',
  '/etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  // Empty: the mount point jrt exec covers with a resolv.conf for --network=host and web.
  '/etc/resolv.conf': '',
};

export async function collectRuntime(opts: CollectOptions): Promise<CollectResult> {
  const onProgress = opts.onProgress ?? silentProgress;
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    onProgress({ type: 'warn', task: TASK, message });
  };
  await assertEmptyDir(opts.outTree);

  const db = await readDpkgDb(opts.buildRoot);
  const diversions = await readDiversions(opts.buildRoot);
  const closure = await phase(onProgress, TASK, 'resolve the package closure', async () =>
    resolveClosure(db, { roots: opts.packages, exclude: opts.exclude, buildOnly: opts.buildOnly }),
  );
  for (const b of closure.buildOnlyInClosure) {
    warn(
      `${b.name} is a build package but the runtime needs it (via ${b.via}): it is kept as a runtime package`,
    );
  }
  for (const r of closure.excludedRoots) warn(`${r} is both a runtime package and excluded: excluded`);

  const copier = new TreeCopier(opts.buildRoot, opts.outTree);
  const owned = new Set<string>();
  await phase(onProgress, TASK, `copy ${closure.packages.length} packages`, async () => {
    await mirrorMergedUsr(opts.buildRoot, opts.outTree);
    for (const pkg of closure.packages) {
      for (const listed of await packageFiles(opts.buildRoot, pkg)) {
        const p = await canonicalInRoot(opts.buildRoot, divertedPath(listed, pkg.name, diversions));
        if (p === undefined) continue; // listed but not there (or not reachable inside the root)
        owned.add(p);
        if (await isTopLevelLink(opts.outTree, p)) continue;
        await copier.copy(p);
      }
    }
    await copyAlternatives(opts.buildRoot, copier);
    if (closure.packages.some((p) => p.name === 'ca-certificates')) await copier.copy('/etc/ssl/certs', true);
    for (const extra of opts.paths) {
      if (!isPlainPath(extra)) {
        throw failure(
          'ERR_JRT_CLOSURE_PATH_UNSAFE',
          `runtime path ${extra} is not a plain absolute path (an empty, '.' or '..' component)`,
        );
      }
      const p = await canonicalInRoot(opts.buildRoot, extra);
      if (p === undefined || !(await copier.copy(p, true))) {
        throw failure(
          'ERR_JRT_CLOSURE_PATH_MISSING',
          `runtime path ${extra} does not exist in the build root`,
          {
            hint: 'runtime.paths lists files the build steps create; check the step that should make it',
          },
        );
      }
    }
    await followLinks(copier, warn);
    for (const [p, content] of Object.entries(GENERATED_ETC)) {
      await copier.ensureParents(p);
      // Replace whatever a package put there; never write through a symlink.
      await rm(path.join(opts.outTree, p), { force: true });
      await writeFile(path.join(opts.outTree, p), content, { mode: 0o644, flag: 'wx' });
    }
  });
  if (copier.setIdDropped.length > 0) {
    warn(
      `set-uid/set-gid bits dropped from ${copier.setIdDropped.length} files: ${copier.setIdDropped.join(', ')}`,
    );
  }

  const stripped = await phase(onProgress, TASK, 'strip', () => stripTree(opts.outTree, opts.strip));
  onProgress({
    type: 'info',
    task: TASK,
    message: `stripped ${stripped.removed} entries, ${formatBytes(stripped.bytes)}`,
  });
  await assertNoBuildOnlyFiles(opts.buildRoot, opts.outTree, db, diversions, closure, opts.buildOnly, owned);

  const entries = await walkTree(opts.outTree);
  const files = entries.filter((e) => e.type === 'file');
  return {
    packages: closure.packages.map((p) => ({ name: p.name, version: p.version })),
    files: files.length,
    bytes: files.reduce((n, e) => n + e.size, 0),
    warnings,
    strippedStaticLibs: stripped.staticLibs,
  };
}

async function assertEmptyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) {
    throw failure('ERR_JRT_CLOSURE_OUT_NOT_EMPTY', `the output tree ${dir} is not empty`);
  }
}

/**
 * Keep the merged-usr layout: the build root's top-level `bin -> usr/bin` style links. Only a link
 * to a real directory `usr/NAME` of the root is mirrored; any other top-level link (`zz ->
 * /usr/../../x`, a build step's) is left to the rules every other path follows.
 */
async function mirrorMergedUsr(buildRoot: string, outTree: string): Promise<void> {
  await mkdir(path.join(outTree, 'usr'), { recursive: true });
  if (!(await lstat(path.join(buildRoot, 'usr')).catch(() => undefined))?.isDirectory()) return;
  for (const name of (await readdir(buildRoot)).sort()) {
    const st = await lstat(path.join(buildRoot, name));
    if (!st.isSymbolicLink()) continue;
    const rel = mergedUsrTarget(await readlink(path.join(buildRoot, name)));
    if (rel === undefined) continue;
    const dir = await lstat(path.join(buildRoot, rel)).catch(() => undefined);
    if (!dir?.isDirectory()) continue;
    await symlink(rel, path.join(outTree, name));
    // The target directory exists even if empty, so following links never copies all of it.
    await mkdir(path.join(outTree, rel), { mode: dir.mode & 0o1777 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/** `usr/NAME` for a merged-usr link's target (`usr/bin`, `/usr/lib64`), else undefined. Pure. */
export function mergedUsrTarget(target: string): string | undefined {
  const rel = target.replace(/^\//, '');
  return /^usr\/[^/]+$/.test(rel) && !['usr/.', 'usr/..'].includes(rel) ? rel : undefined;
}

/** A package's file list; a line with `.`, `..` or empty components was not written by dpkg. */
async function packageFiles(buildRoot: string, pkg: DpkgPackage): Promise<string[]> {
  const listed = await readPackageFiles(buildRoot, pkg);
  const bad = listed.find((l) => !isPlainPath(l.replace(/\/+$/, '') || '/'));
  if (bad !== undefined) {
    throw failure(
      'ERR_JRT_CLOSURE_PATH_UNSAFE',
      `dpkg's file list of ${pkg.name} holds '${bad}', which dpkg never writes ('.', '..' or an empty component): a build step changed it`,
      {
        hint: 'build steps must not edit /var/lib/dpkg; install files with packages or list them in runtime.paths',
      },
    );
  }
  return listed;
}

async function isTopLevelLink(outTree: string, p: string): Promise<boolean> {
  if (path.posix.dirname(p) !== '/') return false;
  try {
    return (await lstat(path.join(outTree, p))).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Bring `/usr/bin/java -> /etc/alternatives/java -> <choice>` links into the tree. The build root's
 * current choice is kept when the tree has it; otherwise the tree gets the highest-priority choice it
 * does contain (numpy's `libblas3 | libblas.so.3` may put reference BLAS in the closure while the
 * build root chose OpenBLAS). Groups with no choice in the tree are left out.
 */
async function copyAlternatives(buildRoot: string, copier: TreeCopier): Promise<void> {
  for (const group of await readAlternatives(buildRoot)) {
    if (!group.link.startsWith('/')) continue;
    const current = await resolveInRoot(buildRoot, `/etc/alternatives/${group.name}`);
    if (current.exists && (await copier.has(current.path))) {
      for (const l of [group.link, ...group.slaves.map((x) => x.link)]) {
        const p = await canonicalInRoot(buildRoot, l);
        const at = p === undefined ? undefined : await hostPathInRoot(buildRoot, p);
        const st = at === undefined ? undefined : await lstat(at).catch(() => undefined);
        if (p !== undefined && st?.isSymbolicLink()) await copier.copy(p);
      }
      continue;
    }
    const inTree = [];
    for (const c of group.choices) {
      const p = await canonicalInRoot(buildRoot, c.path);
      if (p !== undefined && (await copier.has(p))) inTree.push(c);
    }
    const best = inTree.sort((a, b) => b.priority - a.priority)[0];
    if (!best) continue;
    const pairs = [
      { name: group.name, link: group.link, target: best.path },
      ...group.slaves.map((x, i) => ({ ...x, target: best.slavePaths[i] ?? '' })),
    ];
    for (const { name, link, target } of pairs) {
      const at = await canonicalInRoot(buildRoot, link);
      if (!target || at === undefined || !isPlainPath(`/etc/alternatives/${name}`)) continue;
      await copier.makeLink(`/etc/alternatives/${name}`, target);
      await copier.makeLink(at, `/etc/alternatives/${name}`);
    }
  }
}

/**
 * Every symlink in the tree whose target is missing but exists in the build root brings that target
 * (a directory with its contents), and the links passed on the way, until nothing new comes in.
 */
async function followLinks(copier: TreeCopier, warn: (m: string) => void): Promise<void> {
  const queue = (await walkTree(copier.outTree)).filter((e) => e.type === 'symlink').map((e) => e.path);
  copier.newLinks.length = 0;
  const seen = new Set<string>();
  while (queue.length > 0) {
    const link = queue.shift()!;
    if (seen.has(link)) continue;
    seen.add(link);
    const r = await resolveInRoot(copier.buildRoot, link);
    for (const l of r.links) await copier.copy(l);
    if (!r.exists) {
      if (!(await resolveInRoot(copier.outTree, link)).exists) {
        warn(
          `dangling symlink ${link} -> ${await readlink(path.join(copier.outTree, link))} (also in the build root)`,
        );
      }
    } else if (!(await copier.has(r.path))) {
      await copier.copy(r.path, true);
    }
    queue.push(...copier.newLinks.splice(0));
  }
}

async function assertNoBuildOnlyFiles(
  buildRoot: string,
  outTree: string,
  db: Awaited<ReturnType<typeof readDpkgDb>>,
  diversions: Map<string, Diversion>,
  closure: ClosureResult,
  buildOnly: string[],
  owned: Set<string>,
): Promise<void> {
  const inClosure = new Set(closure.packages.map((p) => p.name));
  const leaks: string[] = [];
  for (const name of buildOnly) {
    const pkg = db.packages.get(name);
    if (!pkg || inClosure.has(name)) continue;
    for (const listed of await readPackageFiles(buildRoot, pkg)) {
      const p = await canonicalInRoot(buildRoot, divertedPath(listed, name, diversions));
      if (p === undefined || owned.has(p)) continue;
      const st = await lstat(path.join(outTree, p)).catch(() => undefined);
      if (st && !st.isDirectory()) leaks.push(`${p} (${name})`);
    }
  }
  if (leaks.length > 0) {
    throw failure(
      'ERR_JRT_CLOSURE_BUILD_ONLY',
      `files of build-only packages reached the runtime:\n  ${leaks.join('\n  ')}`,
      {
        hint: 'a runtime symlink or runtime.paths entry points into a build package; exclude it or list the package as a runtime package',
      },
    );
  }
}
