/**
 * The pure rules an artifact must satisfy before anything of it is installed. readArtifact checks the
 * manifest with these first (so a hostile manifest is refused before a byte is extracted) and then
 * holds every archive entry to the manifest.
 *
 * Symlinks: a relative target is followed from the link's directory, through the other symlinks of
 * the manifest as the kernel would, and must stay inside the runtime directory. An absolute target is
 * allowed only for links inside rootfs/: it means a path of the job's root, i.e. rootfs/<target>, and
 * `..` at that root stays at the root (as in a chroot).
 */
import { failure } from '../core/errors.js';
import { MANIFEST_JSON, type Manifest, type ManifestFile, TREE_DIR } from '../core/runtime-format.js';

export function unsafe(entry: string, reason: string): Error {
  return failure('ERR_JRT_ARTIFACT_UNSAFE', `unsafe artifact entry '${entry}': ${reason}`, {
    hint: 'the artifact was refused and nothing was installed; rebuild it with jrt build',
  });
}

export function mismatch(entry: string, reason: string): Error {
  return failure(
    'ERR_JRT_ARTIFACT_MISMATCH',
    `artifact entry '${entry}' does not match its manifest: ${reason}`,
    {
      hint: 'the artifact is damaged or was altered after it was built; nothing was installed',
    },
  );
}

/** Why a path may not name an entry of a runtime directory, or undefined when it may. */
export function entryPathProblem(p: string): string | undefined {
  if (p === '') return 'empty path';
  if (p.includes('\0')) return 'NUL byte in path';
  if (p.startsWith('/')) return 'absolute path';
  if (Buffer.byteLength(p) > 4096) return 'path longer than 4096 bytes';
  for (const c of p.split('/')) {
    if (c === '..') return "path climbs out with '..'";
    if (c === '' || c === '.') return "path is not normalised (empty or '.' component)";
  }
  return undefined;
}

/** Why a mode is refused for an entry of this type, or undefined. */
export function modeProblem(type: ManifestFile['type'], mode: number): string | undefined {
  if (type === 'file' && mode & 0o7000)
    return `setuid/setgid/sticky bits on a file (mode ${mode.toString(8)})`;
  if (type === 'dir' && mode & 0o4000) return `setuid bit on a directory (mode ${mode.toString(8)})`;
  return undefined;
}

const MAX_HOPS = 40;

/** Why the symlink at `linkPath` escapes the runtime directory, or undefined when it stays inside. */
export function symlinkProblem(
  linkPath: string,
  target: string,
  links: Map<string, string>,
): string | undefined {
  const inTree = (p: string) => p === TREE_DIR || p.startsWith(`${TREE_DIR}/`);
  if (target === '') return 'empty symlink target';
  if (target.includes('\0')) return 'NUL byte in symlink target';
  let stack = linkPath.split('/').slice(0, -1);
  // floor: how many leading components `..` cannot remove (1 = the job's root, rootfs/).
  let floor = 0;
  let pending: string[];
  const enter = (from: string, t: string): string | undefined => {
    if (t.startsWith('/')) {
      if (!inTree(from)) return `absolute symlink target '${t}' outside ${TREE_DIR}/`;
      stack = [TREE_DIR];
      floor = 1;
    } else floor = 0;
    pending = [...t.split('/'), ...pending];
    return undefined;
  };
  pending = [];
  const first = enter(linkPath, target);
  if (first) return first;
  let hops = 0;
  while (pending.length > 0) {
    const c = pending.shift() as string;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length <= floor) {
        if (floor === 0) return `symlink target '${target}' leaves the runtime directory`;
        continue;
      }
      stack.pop();
      continue;
    }
    stack.push(c);
    const here = stack.join('/');
    const next = links.get(here);
    if (next === undefined) continue;
    if (++hops > MAX_HOPS) return `symlink target '${target}' has too many levels of symlinks`;
    stack.pop();
    const problem = enter(here, next);
    if (problem) return `through ${here}: ${problem}`;
  }
  return undefined;
}

/** Check a parsed manifest.json: shape, safe paths and modes, parents before children, safe links. */
export function validateManifest(value: unknown): Manifest {
  const bad = (why: string) => unsafe(MANIFEST_JSON, why);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const m = value as Record<string, unknown>;
  if (m.manifest_version !== 1) throw bad(`unsupported manifest_version ${String(m.manifest_version)}`);
  for (const k of ['name', 'version', 'jrt_version', 'recipe_digest', 'lock_digest'])
    if (typeof m[k] !== 'string') throw bad(`field '${k}' must be a string`);
  if (typeof m.name === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(m.name))
    throw bad(`name '${m.name}' is not a valid runtime name`);
  if (!Number.isSafeInteger(m.total_size) || (m.total_size as number) < 0) throw bad('bad total_size');
  if (!Array.isArray(m.files)) throw bad("field 'files' must be an array");
  const seen = new Map<string, ManifestFile>();
  const links = new Map<string, string>();
  let total = 0;
  for (const raw of m.files as unknown[]) {
    const f = raw as ManifestFile;
    if (typeof f !== 'object' || f === null || typeof f.path !== 'string') throw bad('an entry has no path');
    const p = f.path;
    const pathWhy = entryPathProblem(p);
    if (pathWhy) throw unsafe(p, pathWhy);
    if (p === MANIFEST_JSON) throw unsafe(p, 'the manifest lists itself');
    if (p.startsWith('.jrt'))
      throw unsafe(p, "top-level names starting with '.jrt' are reserved for the installer");
    if (seen.has(p)) throw unsafe(p, 'listed twice in the manifest');
    if (!['file', 'dir', 'symlink'].includes(f.type)) throw unsafe(p, `unsupported type '${String(f.type)}'`);
    if (!Number.isInteger(f.mode) || f.mode < 0 || f.mode > 0o7777) throw unsafe(p, 'bad mode');
    if (!Number.isSafeInteger(f.size) || f.size < 0) throw unsafe(p, 'bad size');
    const modeWhy = modeProblem(f.type, f.mode);
    if (modeWhy) throw unsafe(p, modeWhy);
    if (f.type === 'file') {
      if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) throw unsafe(p, 'missing sha256');
      total += f.size;
    }
    if (f.type === 'symlink') {
      if (typeof f.target !== 'string') throw unsafe(p, 'symlink without target');
      links.set(p, f.target);
    }
    const slash = p.lastIndexOf('/');
    if (slash > 0) {
      const parent = seen.get(p.slice(0, slash));
      if (parent?.type !== 'dir') throw unsafe(p, 'its parent directory is not listed before it');
    }
    seen.set(p, f);
  }
  if (total !== m.total_size)
    throw bad(`total_size ${String(m.total_size)} differs from the files' sum ${total}`);
  for (const [p, t] of links) {
    const why = symlinkProblem(p, t, links);
    if (why) throw unsafe(p, why);
  }
  return value as Manifest;
}

/**
 * Why a runtime.yml mount source is refused, or undefined. Joblet bind-mounts `source` on the host,
 * so it and every directory above it must be real entries of the runtime (never a symlink, which the
 * host would resolve against its own filesystem).
 */
export function mountSourceProblem(source: unknown, entries: Map<string, ManifestFile>): string | undefined {
  if (typeof source !== 'string') return 'mount source is not a string';
  const p = source.replace(/^\.\//, '').replace(/\/+$/, '');
  const why = entryPathProblem(p);
  if (why) return `mount source '${source}': ${why}`;
  const parts = p.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    const e = entries.get(prefix);
    if (!e) return `mount source '${source}' is not in the runtime (${prefix} missing)`;
    if (e.type === 'symlink') return `mount source '${source}' goes through the symlink ${prefix}`;
    if (i < parts.length && e.type !== 'dir') return `mount source '${source}': ${prefix} is not a directory`;
  }
  return undefined;
}
