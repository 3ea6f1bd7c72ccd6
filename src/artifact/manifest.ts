/**
 * manifest.json: every entry of a runtime directory (except manifest.json itself) with its type,
 * permission bits, size, sha256 (files) or target (symlinks). The walk refuses what a runtime must
 * never carry: device nodes, fifos, sockets and setuid/setgid files.
 */
import path from 'node:path';
import { failure } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { MANIFEST_JSON, type Manifest, type ManifestFile } from '../core/runtime-format.js';
import { walkTree } from '../core/tree-walk.js';

export type ManifestMeta = Pick<
  Manifest,
  'name' | 'version' | 'jrt_version' | 'recipe_digest' | 'lock_digest'
>;

/** One thing in a tree that a runtime must not contain. */
export interface TreeProblem {
  path: string;
  reason: string;
}

/** Bytewise (UTF-8) order, the order of manifest entries and of the archive. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Walk `dir` and describe every entry (relative paths, sorted bytewise). `hash: false` skips the
 * file contents (used to compare a tree's shape cheaply). Unsupported entries land in `problems`.
 */
export async function scanTree(
  dir: string,
  opts: { hash?: boolean; exclude?: (rel: string) => boolean } = {},
): Promise<{ files: ManifestFile[]; problems: TreeProblem[] }> {
  const files: ManifestFile[] = [];
  const problems: TreeProblem[] = [];
  for (const e of await walkTree(dir, '/', (p) => opts.exclude?.(p.slice(1)) === true)) {
    const rel = e.path.slice(1);
    if (e.type === 'dir') {
      if (e.mode & 0o4000) problems.push({ path: rel, reason: 'setuid directory' });
      files.push({ path: rel, type: 'dir', mode: e.mode, size: 0 });
    } else if (e.type === 'file') {
      if (e.mode & 0o6000) problems.push({ path: rel, reason: 'setuid/setgid file' });
      const entry: ManifestFile = { path: rel, type: 'file', mode: e.mode, size: e.size };
      if (opts.hash !== false) entry.sha256 = await sha256File(path.join(dir, rel));
      files.push(entry);
    } else if (e.type === 'symlink') {
      files.push({ path: rel, type: 'symlink', mode: 0o777, size: 0, target: e.target ?? '' });
    } else problems.push({ path: rel, reason: e.special ?? 'special file' });
  }
  files.sort((a, b) => compareBytes(a.path, b.path));
  return { files, problems };
}

/** The manifest of a runtime directory; throws ERR_JRT_TREE_UNSUPPORTED naming every bad entry. */
export async function computeManifest(dir: string, meta: ManifestMeta): Promise<Manifest> {
  const { files, problems } = await scanTree(dir, { exclude: (rel) => rel === MANIFEST_JSON });
  if (problems.length > 0) {
    throw failure(
      'ERR_JRT_TREE_UNSUPPORTED',
      `${dir} holds entries a runtime must not carry:\n${problems.map((p) => `  ${p.path}: ${p.reason}`).join('\n')}`,
      { hint: 'remove them from the runtime tree (strip rules) and build again' },
    );
  }
  const total_size = files.reduce((sum, f) => sum + (f.type === 'file' ? f.size : 0), 0);
  return {
    manifest_version: 1,
    name: meta.name,
    version: meta.version,
    jrt_version: meta.jrt_version,
    recipe_digest: meta.recipe_digest,
    lock_digest: meta.lock_digest,
    total_size,
    files,
  };
}

/** The canonical bytes of a manifest (what packArtifact stores and the digest is taken of). */
export function serializeManifest(m: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 1)}\n`, 'utf8');
}
