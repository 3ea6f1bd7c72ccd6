/**
 * The content-addressed download cache: JRT_CACHE/blobs/sha256/<hex>. A blob is only ever written
 * whole (downloaded next to it, verified, made read-only, renamed), and it is never trusted by its
 * name alone: every use hashes it again (a corrupt one is removed and fetched again), and a build
 * gets a verified copy of it, never the blob itself or a hard link to it.
 */
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { type DownloadResult, downloadToFile } from '../core/http.js';
import { integrityMismatch } from '../core/integrity.js';

export interface BlobStore {
  dir: string;
  pathOf(sha256: string): string;
  /** Whether the blob is there and hashes to its name; a corrupt one is removed (and so is not). */
  has(sha256: string): Promise<boolean>;
  /**
   * Copy the blob to `dest` (a new file) and verify the copy against the blob's name: what a build
   * uses is exactly what was verified, and nothing it does to the copy reaches the cache.
   */
  copyOut(sha256: string, dest: string): Promise<void>;
  /**
   * Download `url` unless present; the bytes must hash to `sha256` (and match `integrity`, an SRI
   * string, when given). `size` (a lock's) caps the download: a byte more and it stops.
   */
  fetch(
    url: string,
    sha256: string,
    opts?: { integrity?: string; offline?: boolean; size?: number },
  ): Promise<string>;
  /**
   * Download `url` whose sha256 is not known yet (resolution), up to the download maximum; returns
   * its hashes. With `integrity`, bytes that do not match never enter the store.
   */
  fetchUnknown(url: string, opts?: { integrity?: string }): Promise<DownloadResult & { file: string }>;
  /** Copy a local file into the store; it must hash to `sha256`. */
  addFile(file: string, sha256: string): Promise<string>;
}

export function createBlobStore(cacheDir: string, download = downloadToFile): BlobStore {
  const dir = path.join(cacheDir, 'blobs', 'sha256');
  const pathOf = (sha256: string) => path.join(dir, sha256);
  /** 'ok', 'missing', or 'corrupt' (then removed): a blob whose bytes are not its name. */
  const check = async (sha256: string): Promise<'ok' | 'missing' | 'corrupt'> => {
    try {
      if (!(await stat(pathOf(sha256))).isFile()) return 'missing';
    } catch {
      return 'missing';
    }
    if ((await sha256File(pathOf(sha256))) === sha256) return 'ok';
    await rm(pathOf(sha256), { force: true });
    return 'corrupt';
  };
  const has = async (sha256: string) => (await check(sha256)) === 'ok';
  /** Into the store: read-only, then renamed into place (whole or not at all). */
  const place = async (tmp: string, sha256: string) => {
    await chmod(tmp, 0o444);
    await rename(tmp, pathOf(sha256));
  };
  return {
    dir,
    pathOf,
    has,
    async copyOut(sha256, dest) {
      await copyFile(pathOf(sha256), dest, constants.COPYFILE_EXCL);
      const actual = await sha256File(dest);
      if (actual === sha256) return;
      await rm(dest, { force: true });
      await rm(pathOf(sha256), { force: true });
      throw failure(
        'ERR_JRT_BLOB_CORRUPT',
        `the cached blob ${pathOf(sha256)} changed after it was verified (its bytes hash to ${actual}): removed`,
        { hint: 'something else writes into JRT_CACHE; run the build again to fetch it anew' },
      );
    },
    async fetch(url, sha256, opts = {}) {
      const state = await check(sha256);
      if (state === 'ok') return pathOf(sha256);
      if (opts.offline) {
        const why =
          state === 'corrupt'
            ? `was corrupt in the cache ${dir} (its bytes did not hash to its name) and was removed`
            : `is not in the cache ${dir}`;
        throw failure('ERR_JRT_OFFLINE_MISSING', `--offline: ${url} (sha256 ${sha256}) ${why}`, {
          hint: 'run the build once with network to fill the cache',
        });
      }
      await mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `.incoming-${sha256}-${process.pid}`);
      const got = await download(url, tmp, { size: opts.size });
      if (got.sha256 !== sha256) {
        await rm(tmp, { force: true });
        throw failure(
          'ERR_JRT_CHECKSUM_MISMATCH',
          `checksum mismatch for ${url}: expected sha256 ${sha256}, got ${got.sha256}`,
          {
            hint: 'the download is corrupt or the source changed; if the change is intended, update the checksum in the recipe or run `jrt lock` again',
          },
        );
      }
      await checkIntegrity(url, tmp, got, opts.integrity);
      await place(tmp, sha256);
      return pathOf(sha256);
    },
    async fetchUnknown(url, opts = {}) {
      await mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `.incoming-${process.pid}-${Date.now()}`);
      const got = await download(url, tmp);
      await checkIntegrity(url, tmp, got, opts.integrity);
      await place(tmp, got.sha256);
      return { ...got, file: pathOf(got.sha256) };
    },
    async addFile(file, sha256) {
      const actual = await sha256File(file);
      if (actual !== sha256) {
        throw failure(
          'ERR_JRT_CHECKSUM_MISMATCH',
          `checksum mismatch for ${file}: expected sha256 ${sha256}, got ${actual}`,
        );
      }
      if (!(await has(sha256))) {
        await mkdir(dir, { recursive: true });
        const tmp = path.join(dir, `.incoming-${sha256}-${process.pid}`);
        await copyFile(file, tmp);
        await place(tmp, sha256);
      }
      return pathOf(sha256);
    },
  };
}

/** The bytes must match `integrity` (its strongest hash); the downloaded temp file is removed when not. */
async function checkIntegrity(
  url: string,
  tmp: string,
  got: DownloadResult,
  integrity?: string,
): Promise<void> {
  if (integrity === undefined) return;
  let why: string | undefined;
  try {
    why = integrityMismatch(integrity, got.sri, url);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (!why) return;
  await rm(tmp, { force: true });
  throw failure('ERR_JRT_INTEGRITY_MISMATCH', `integrity mismatch for ${url}: ${why}`, {
    hint: 'the registry served other bytes than it (or the recipe) promised; if the change is intended, fix the integrity in the recipe or run `jrt lock --update`',
  });
}
