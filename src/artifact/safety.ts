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
import {
  MANIFEST_JSON,
  MAX_DESCRIPTION_BYTES,
  type Manifest,
  type ManifestFile,
  RUNTIME_JSON,
  RUNTIME_YML,
} from '../core/runtime-format.js';
import { PathIndex } from './path-index.js';

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

/**
 * Why a mode is refused for an entry of this type, or undefined. Group- or world-writable files and
 * directories are refused (not normalised): on the host, any local user of that group (or any user)
 * could change the runtime every job then runs, and installing other modes than the manifest's
 * would make the installed runtime differ from what was verified. jrt's builder never packs them.
 */
export function modeProblem(type: ManifestFile['type'], mode: number): string | undefined {
  if (type === 'file' && mode & 0o7000)
    return `setuid/setgid/sticky bits on a file (mode ${mode.toString(8)})`;
  if (type === 'dir' && mode & 0o4000) return `setuid bit on a directory (mode ${mode.toString(8)})`;
  if (type !== 'symlink' && mode & 0o022)
    return `${mode & 0o002 ? 'world' : 'group'}-writable ${type === 'dir' ? 'directory' : 'file'} (mode ${mode.toString(8)})`;
  return undefined;
}

/**
 * Why the symlink at `linkPath` escapes the runtime directory, or undefined when it stays inside;
 * `links` are the other symlinks of the runtime (path → target).
 */
export function symlinkProblem(
  linkPath: string,
  target: string,
  links: Map<string, string>,
): string | undefined {
  const index = new PathIndex();
  for (const [p, t] of links) index.add(p, { type: 'symlink', target: t });
  return index.linkProblem(index.add(linkPath, { type: 'symlink', target }));
}

/** An index of a manifest's entries, for checks that follow paths through it. Linear. */
export function indexManifest(files: ManifestFile[]): PathIndex {
  const index = new PathIndex();
  for (const f of files) index.add(f.path, f);
  return index;
}

/**
 * Check a parsed manifest.json: shape, safe paths and modes, parents before children, safe links,
 * and runtime.yml / runtime.json no larger than MAX_DESCRIPTION_BYTES (they are read whole). Every
 * check is linear in the manifest's size.
 */
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
  const index = new PathIndex();
  const links: number[] = [];
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
    const node = index.node(p);
    if (index.entryOf(node)) throw unsafe(p, 'listed twice in the manifest');
    if (!['file', 'dir', 'symlink'].includes(f.type)) throw unsafe(p, `unsupported type '${String(f.type)}'`);
    if (!Number.isInteger(f.mode) || f.mode < 0 || f.mode > 0o7777) throw unsafe(p, 'bad mode');
    if (!Number.isSafeInteger(f.size) || f.size < 0) throw unsafe(p, 'bad size');
    const modeWhy = modeProblem(f.type, f.mode);
    if (modeWhy) throw unsafe(p, modeWhy);
    if (f.type === 'file') {
      if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) throw unsafe(p, 'missing sha256');
      if ((p === RUNTIME_YML || p === RUNTIME_JSON) && f.size > MAX_DESCRIPTION_BYTES)
        throw unsafe(p, `larger than ${MAX_DESCRIPTION_BYTES} bytes (${f.size})`);
      total += f.size;
    }
    if (f.type === 'symlink') {
      if (typeof f.target !== 'string') throw unsafe(p, 'symlink without target');
      links.push(node);
    }
    const parent = index.parentOf(node);
    if (parent !== 0 && index.entryOf(parent)?.type !== 'dir')
      throw unsafe(p, 'its parent directory is not listed before it');
    index.set(node, f);
  }
  if (total !== m.total_size)
    throw bad(`total_size ${String(m.total_size)} differs from the files' sum ${total}`);
  for (const node of links) {
    const why = index.linkProblem(node);
    if (why) throw unsafe(index.pathOf(node), why);
  }
  return value as Manifest;
}

/**
 * Why a runtime.yml mount source is refused, or undefined. Joblet bind-mounts `source` on the host,
 * so it and every directory above it must be real entries of the runtime (never a symlink, which the
 * host would resolve against its own filesystem). `index` is the runtime's indexManifest().
 */
export function mountSourceProblem(source: unknown, index: PathIndex): string | undefined {
  if (typeof source !== 'string') return 'mount source is not a string';
  if (Buffer.byteLength(source) > 4096) return 'mount source longer than 4096 bytes';
  let p = source.startsWith('./') ? source.slice(2) : source;
  while (p.endsWith('/')) p = p.slice(0, -1);
  const why = entryPathProblem(p);
  if (why) return `mount source '${source}': ${why}`;
  const parts = p.split('/');
  let at: number | undefined = 0;
  for (const [i, c] of parts.entries()) {
    const prefix = () => parts.slice(0, i + 1).join('/');
    at = index.childOf(at, c);
    const e = at === undefined ? undefined : index.entryOf(at);
    if (at === undefined || !e) return `mount source '${source}' is not in the runtime (${prefix()} missing)`;
    if (e.type === 'symlink') return `mount source '${source}' goes through the symlink ${prefix()}`;
    if (i < parts.length - 1 && e.type !== 'dir')
      return `mount source '${source}': ${prefix()} is not a directory`;
  }
  return undefined;
}
