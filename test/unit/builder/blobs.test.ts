import { createHash } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBlobStore } from '../../../src/builder/blobs.js';
import type { DownloadResult } from '../../../src/core/http.js';
import { tempDir } from '../../helpers/temp.js';

const BYTES = 'the real bytes\n';
const SHA = createHash('sha256').update(BYTES).digest('hex');
const URL = 'http://mirror.invalid/x.deb';

/** A store whose downloads write BYTES and count how often they were asked for. */
async function store() {
  const cache = await tempDir('jrt-blobs-');
  let downloads = 0;
  const download = async (_url: string, dest: string): Promise<DownloadResult> => {
    downloads++;
    writeFileSync(dest, BYTES);
    return { sha256: SHA, sri: {} as DownloadResult['sri'], size: BYTES.length };
  };
  const blobs = createBlobStore(cache, download);
  return { blobs, downloads: () => downloads };
}

describe('the blob cache: verified when used, read-only, corrupt blobs fetched again', () => {
  it('a blob enters the store read-only (0444)', async () => {
    const { blobs } = await store();
    const file = await blobs.fetch(URL, SHA);
    expect(statSync(file).mode & 0o777).toBe(0o444);
  });

  it('a cached blob whose bytes changed is removed and fetched again, not used', async () => {
    const { blobs, downloads } = await store();
    const file = await blobs.fetch(URL, SHA);
    await chmod(file, 0o644);
    await writeFile(file, 'an attacker rewrote the cached .deb\n');
    expect(await blobs.fetch(URL, SHA)).toBe(file);
    expect(await readFile(file, 'utf8')).toBe(BYTES);
    expect(downloads()).toBe(2);
  });

  it('--offline: a corrupt blob is removed and the build refused, naming it', async () => {
    const { blobs } = await store();
    const file = await blobs.fetch(URL, SHA);
    await chmod(file, 0o644);
    await writeFile(file, 'tampered\n');
    const r = blobs.fetch(URL, SHA, { offline: true });
    await expect(r).rejects.toMatchObject({ code: 'ERR_JRT_OFFLINE_MISSING' });
    await expect(r).rejects.toThrow(/was corrupt in the cache .* and was removed/);
    expect(await blobs.has(SHA)).toBe(false);
  });

  it('copyOut gives a build a verified copy (never a link to the blob), and refuses a changed blob', async () => {
    const { blobs } = await store();
    const file = await blobs.fetch(URL, SHA);
    const dir = await tempDir('jrt-root-');
    const copy = path.join(dir, 'x.deb');
    await blobs.copyOut(SHA, copy);
    expect(statSync(copy).ino).not.toBe(statSync(file).ino);
    await writeFile(copy, 'a maintainer script rewrites the copy\n');
    expect(await readFile(file, 'utf8')).toBe(BYTES);
    // Changed between its check and its use: refused and removed.
    await chmod(file, 0o644);
    await writeFile(file, 'changed meanwhile\n');
    await expect(blobs.copyOut(SHA, path.join(dir, 'y.deb'))).rejects.toMatchObject({
      code: 'ERR_JRT_BLOB_CORRUPT',
    });
    expect(await blobs.has(SHA)).toBe(false);
  });
});
