/**
 * packArtifact: a runtime directory → NAME-VERSION.jrt.tar.gz, byte-for-byte reproducible.
 * manifest.json first (so a reader can check everything else against it before extracting), then
 * runtime.yml and runtime.json, then every other entry in bytewise path order. Every entry gets the
 * same mtime (SOURCE_DATE_EPOCH), uid/gid 0 and no user/group names; the gzip header carries no
 * name, mtime 0 and a fixed OS byte.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { failure } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { MANIFEST_JSON, type Manifest, RUNTIME_JSON, RUNTIME_YML } from '../core/runtime-format.js';
import { scanTree } from './manifest.js';
import { validateManifest } from './safety.js';
import { encodeHeader, padding, TAR_END } from './tar-format.js';

/** Offset of the OS byte in a gzip member header; 3 = Unix. */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNIX = 3;
const SMALL_FILE = 1 << 20;

export interface PackResult {
  sha256: string;
  size: number;
}

/** The archive order: manifest.json, runtime.yml, runtime.json, then the rest as listed (sorted). */
export function archiveOrder(m: Manifest): Manifest['files'] {
  const head = [RUNTIME_YML, RUNTIME_JSON];
  const first = head.flatMap((p) => m.files.filter((f) => f.path === p));
  return [...first, ...m.files.filter((f) => !head.includes(f.path))];
}

/**
 * Pack `dir` (which must hold a manifest.json written from computeManifest) into `outFile`.
 * The tree must match its manifest exactly; a file that changed while packing fails the pack.
 */
export async function packArtifact(
  dir: string,
  outFile: string,
  opts: { sourceDateEpoch: number },
): Promise<PackResult> {
  const mtime = Math.floor(opts.sourceDateEpoch);
  if (!Number.isSafeInteger(mtime) || mtime < 0)
    throw new Error(`bad sourceDateEpoch ${opts.sourceDateEpoch}`);
  const manifestBytes = await readFile(path.join(dir, MANIFEST_JSON));
  const manifest = validateManifest(JSON.parse(manifestBytes.toString('utf8')));
  const shape = await scanTree(dir, { hash: false, exclude: (rel) => rel === MANIFEST_JSON });
  const listed = new Set(manifest.files.map((f) => f.path));
  const extra = shape.files.filter((f) => !listed.has(f.path)).map((f) => f.path);
  const found = new Set(shape.files.map((f) => f.path));
  const missing = [...listed].filter((p) => !found.has(p));
  if (extra.length + missing.length + shape.problems.length > 0) {
    throw failure(
      'ERR_JRT_PACK_TREE_CHANGED',
      `${dir} does not match its manifest.json (extra: ${extra.join(', ') || '-'}; missing: ${missing.join(', ') || '-'})`,
      { hint: 'write manifest.json with computeManifest right before packing' },
    );
  }

  async function* entries(): AsyncGenerator<Buffer> {
    yield encodeHeader({ path: MANIFEST_JSON, type: 'file', mode: 0o644, size: manifestBytes.length, mtime });
    yield manifestBytes;
    yield padding(manifestBytes.length);
    for (const f of archiveOrder(manifest)) {
      const header = { path: f.path, type: f.type, mode: f.mode, mtime };
      if (f.type === 'dir') yield encodeHeader({ ...header, size: 0 });
      else if (f.type === 'symlink')
        yield encodeHeader({ ...header, mode: 0o777, size: 0, linkpath: f.target ?? '' });
      else {
        yield encodeHeader({ ...header, size: f.size });
        const abs = path.join(dir, f.path);
        const hash = createHash('sha256');
        let size = 0;
        // Small files in one synchronous read: per-call thread-pool round trips dominate otherwise.
        const chunks: AsyncIterable<Buffer> | Buffer[] =
          f.size <= SMALL_FILE ? [readFileSync(abs)] : (createReadStream(abs) as AsyncIterable<Buffer>);
        for await (const b of chunks) {
          size += b.length;
          if (size > f.size) break;
          hash.update(b);
          yield b;
        }
        if (size !== f.size || hash.digest('hex') !== f.sha256)
          throw failure('ERR_JRT_PACK_TREE_CHANGED', `${f.path} changed after its manifest was written`);
        yield padding(f.size);
      }
    }
    yield TAR_END;
  }

  const tmp = packTempPath(outFile);
  try {
    await pipeline(
      Readable.from(entries()),
      createGzip({ level: 6 }),
      createWriteStream(tmp, { mode: 0o644 }),
    );
    // zlib writes the OS byte of the build host; pin it so archives agree across platforms.
    const fh = await open(tmp, 'r+');
    try {
      await fh.write(Buffer.from([GZIP_OS_UNIX]), 0, 1, GZIP_OS_OFFSET);
    } finally {
      await fh.close();
    }
    const sha256 = await sha256File(tmp);
    const { size } = await stat(tmp);
    await rename(tmp, outFile);
    return { sha256, size };
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Where packArtifact writes `outFile` before renaming it into place (a build removes it on Ctrl-C). */
export function packTempPath(outFile: string): string {
  return path.join(path.dirname(outFile), `.${path.basename(outFile)}.${process.pid}.tmp`);
}
