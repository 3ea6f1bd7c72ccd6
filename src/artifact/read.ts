/**
 * readArtifact: safe extraction of a .jrt.tar.gz into a fresh staging directory. The manifest comes
 * first and is validated before anything is written; then every entry must be exactly what the
 * manifest lists (type, mode, size, sha256, link target), must sit in a directory the archive itself
 * created (so nothing is written through a symlink), and is created with O_EXCL. On any error the
 * staging directory is deleted.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  createReadStream,
  fchmodSync,
  futimesSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { chmod, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { failure, isJrtError } from '../core/errors.js';
import { sha256Bytes } from '../core/hash.js';
import {
  MANIFEST_JSON,
  MAX_MANIFEST_BYTES,
  type Manifest,
  type ManifestFile,
  RUNTIME_YML,
} from '../core/runtime-format.js';
import { entryPathProblem, mismatch, modeProblem, unsafe, validateManifest } from './safety.js';
import { type EntrySink, parseTar, type RawEntry, TarFormatError } from './tar-read.js';

export interface ArtifactContents {
  manifest: Manifest;
  /** The manifest.json bytes exactly as stored in the artifact. */
  manifestBytes: Buffer;
  /** sha256 of manifestBytes: the identity of the runtime's contents. */
  digest: string;
}

const TYPES: Record<string, ManifestFile['type']> = { '0': 'file', '5': 'dir', '2': 'symlink' };
const REFUSED: Record<string, string> = {
  '1': 'hard link',
  '3': 'character device',
  '4': 'block device',
  '6': 'fifo',
  '7': 'contiguous file',
};

function asArtifactError(file: string, e: unknown): Error {
  if (isJrtError(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (e instanceof TarFormatError || code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR')
    return failure('ERR_JRT_ARTIFACT_CORRUPT', `${file} is not a valid artifact: ${(e as Error).message}`);
  return e as Error;
}

/** A sink collecting the manifest body; `done` gets the validated contents. */
function manifestSink(e: RawEntry, done: (c: ArtifactContents) => Promise<void>): EntrySink {
  if (e.path !== MANIFEST_JSON || e.typeflag !== '0')
    throw unsafe(e.path, `the first entry must be ${MANIFEST_JSON}`);
  if (e.size > MAX_MANIFEST_BYTES)
    throw unsafe(
      MANIFEST_JSON,
      `larger than ${MAX_MANIFEST_BYTES} bytes (${e.size}); refused before reading it`,
    );
  const parts: Buffer[] = [];
  return {
    write: async (c) => void parts.push(Buffer.from(c)),
    async end() {
      const manifestBytes = Buffer.concat(parts);
      let parsed: unknown;
      try {
        parsed = JSON.parse(manifestBytes.toString('utf8'));
      } catch {
        throw unsafe(MANIFEST_JSON, 'not valid JSON');
      }
      await done({ manifest: validateManifest(parsed), manifestBytes, digest: sha256Bytes(manifestBytes) });
    },
  };
}

export interface ArtifactHead extends ArtifactContents {
  /** runtime.yml's bytes when it is the second entry (as packArtifact writes it). */
  runtimeYml: Buffer | undefined;
}

/** Read and validate only the head of an artifact: the manifest and, if it follows, runtime.yml. */
export async function readArtifactHead(file: string): Promise<ArtifactHead> {
  let found: ArtifactContents | undefined;
  let runtimeYml: Buffer | undefined;
  const stop = new Error('stop');
  try {
    await pipeline(createReadStream(file), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      await parseTar(source, async (e) => {
        if (!found)
          return manifestSink(e, async (c) => {
            found = c;
          });
        const want = found.manifest.files.find((f) => f.path === RUNTIME_YML);
        if (e.path !== RUNTIME_YML || e.typeflag !== '0' || !want || e.size !== want.size) throw stop;
        const parts: Buffer[] = [];
        return {
          write: async (c) => void parts.push(Buffer.from(c)),
          async end() {
            const bytes = Buffer.concat(parts);
            if (sha256Bytes(bytes) !== want.sha256)
              throw mismatch(RUNTIME_YML, 'sha256 differs from the manifest');
            runtimeYml = bytes;
            throw stop;
          },
        };
      });
    });
  } catch (e) {
    if (e !== stop) throw asArtifactError(file, e);
  }
  if (!found) throw failure('ERR_JRT_ARTIFACT_CORRUPT', `${file} holds no manifest`);
  return { ...found, runtimeYml };
}

/** Extract `file` into `stagingDir` (created here; must not exist yet) and return its manifest. */
export async function readArtifact(file: string, stagingDir: string): Promise<ArtifactContents> {
  let contents: ArtifactContents | undefined;
  const byPath = new Map<string, ManifestFile>();
  const seen = new Set<string>();
  const dirs: { abs: string; mode: number; mtime: number }[] = [];
  const madeDirs = new Set<string>(['']);
  let created = false;
  // Files being written, so an error mid-body does not leak their descriptors.
  const open_ = new Set<number>();

  const onEntry = async (e: RawEntry): Promise<EntrySink | undefined> => {
    if (!contents) {
      return manifestSink(e, async (c) => {
        contents = c;
        for (const f of c.manifest.files) byPath.set(f.path, f);
        await mkdir(stagingDir, { mode: 0o700 });
        created = true;
      });
    }
    const p = e.path.replace(/\/+$/, '');
    const why = entryPathProblem(p);
    if (why) throw unsafe(e.path, why);
    const refused = REFUSED[e.typeflag];
    if (refused) throw unsafe(p, `${refused} entries are not allowed`);
    const type = TYPES[e.typeflag];
    if (!type) throw unsafe(p, `unsupported tar entry type '${e.typeflag}'`);
    const modeWhy = modeProblem(type, e.mode & 0o7777);
    if (modeWhy) throw unsafe(p, modeWhy);
    if (seen.has(p) || p === MANIFEST_JSON) throw unsafe(p, 'appears twice in the archive');
    const want = byPath.get(p);
    if (!want) throw mismatch(p, 'not listed in the manifest');
    seen.add(p);
    if (want.type !== type) throw mismatch(p, `is a ${type} in the archive, a ${want.type} in the manifest`);
    const slash = p.lastIndexOf('/');
    if (!madeDirs.has(slash === -1 ? '' : p.slice(0, slash)))
      throw unsafe(p, 'its parent is not a directory created earlier in the archive');
    const abs = path.join(stagingDir, p);
    if (type === 'symlink') {
      if (e.linkpath !== want.target)
        throw mismatch(p, `links to '${e.linkpath}', manifest says '${want.target}'`);
      symlinkSync(e.linkpath, abs);
      lutimesSync(abs, e.mtime, e.mtime);
      return undefined;
    }
    if ((e.mode & 0o7777) !== want.mode)
      throw mismatch(p, `mode ${(e.mode & 0o7777).toString(8)}, manifest says ${want.mode.toString(8)}`);
    if (type === 'dir') {
      mkdirSync(abs, { mode: 0o700 });
      madeDirs.add(p);
      dirs.push({ abs, mode: want.mode, mtime: e.mtime });
      return undefined;
    }
    if (e.size !== want.size) throw mismatch(p, `size ${e.size}, manifest says ${want.size}`);
    return fileSink(abs, want, e.mtime, open_);
  };

  try {
    await pipeline(createReadStream(file), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      await parseTar(source, onEntry);
    });
    const c = contents as ArtifactContents | undefined;
    if (!c) throw failure('ERR_JRT_ARTIFACT_CORRUPT', `${file} holds no manifest`);
    const missing = c.manifest.files.find((f) => !seen.has(f.path));
    if (missing) throw mismatch(missing.path, 'listed in the manifest but missing from the archive');
    await writeFile(path.join(stagingDir, MANIFEST_JSON), c.manifestBytes, { mode: 0o644, flag: 'wx' });
    // Directory modes last (a 0555 directory must not stop its children being written), deepest first.
    for (const d of dirs.reverse()) {
      await chmod(d.abs, d.mode);
      await utimes(d.abs, d.mtime, d.mtime);
    }
    // The runtime directory itself: readable like /opt/joblet/runtimes/<language>/.
    await chmod(stagingDir, 0o755);
    return c;
  } catch (e) {
    for (const fd of open_) closeSync(fd);
    if (created) await rm(stagingDir, { recursive: true, force: true });
    throw asArtifactError(file, e);
  }
}

/**
 * A sink that writes a new file (O_EXCL|O_NOFOLLOW: never through a symlink) and checks size and hash
 * at the end. Synchronous calls: thousands of small files cost far less without a thread-pool round
 * trip per call, and nothing else runs while jrt installs.
 */
function fileSink(abs: string, want: ManifestFile, mtime: number, registry: Set<number>): EntrySink {
  const fd = openSync(
    abs,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  registry.add(fd);
  const hash = createHash('sha256');
  let written = 0;
  return {
    async write(chunk) {
      written += chunk.length;
      hash.update(chunk);
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    },
    async end() {
      try {
        if (written !== want.size) throw mismatch(want.path, `size ${written}, manifest says ${want.size}`);
        if (hash.digest('hex') !== want.sha256)
          throw mismatch(want.path, 'sha256 differs from the manifest (tampered or damaged)');
        fchmodSync(fd, want.mode);
        futimesSync(fd, mtime, mtime);
      } finally {
        registry.delete(fd);
        closeSync(fd);
      }
    },
  };
}
