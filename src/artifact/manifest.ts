/**
 * manifest.json: every entry of a runtime directory (except manifest.json itself) with its type,
 * permission bits, size, sha256 (files) or target (symlinks). The walk refuses what a runtime must
 * never carry: device nodes, fifos, sockets and setuid/setgid files.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { MANIFEST_JSON, type Manifest, type ManifestFile } from '../core/runtime-format.js';

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
  const walk = async (rel: string): Promise<void> => {
    const names = await readdir(path.join(dir, rel));
    for (const name of names) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (opts.exclude?.(child)) continue;
      const abs = path.join(dir, child);
      const st = await lstat(abs);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        if (mode & 0o4000) problems.push({ path: child, reason: 'setuid directory' });
        files.push({ path: child, type: 'dir', mode, size: 0 });
        await walk(child);
      } else if (st.isFile()) {
        if (mode & 0o6000) problems.push({ path: child, reason: 'setuid/setgid file' });
        const entry: ManifestFile = { path: child, type: 'file', mode, size: st.size };
        if (opts.hash !== false) entry.sha256 = await sha256File(abs);
        files.push(entry);
      } else if (st.isSymbolicLink()) {
        files.push({ path: child, type: 'symlink', mode: 0o777, size: 0, target: await readlink(abs) });
      } else {
        const kind = st.isFIFO()
          ? 'fifo'
          : st.isSocket()
            ? 'socket'
            : st.isCharacterDevice()
              ? 'character device'
              : 'block device';
        problems.push({ path: child, reason: kind });
      }
    }
  };
  await walk('');
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
