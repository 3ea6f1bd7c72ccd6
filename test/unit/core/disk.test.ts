/** Disk space and sizes, shared by the installer's pre-checks and jrt doctor. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, freeSpace, nearestExisting } from '../../../src/core/disk.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jrt-disk-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('disk', () => {
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(formatBytes(5 * 2 ** 30)).toBe('5.0 GiB');
  });

  it('measures a directory that does not exist yet on its nearest existing ancestor', async () => {
    expect(await nearestExisting(path.join(tmp, 'a/b/c'))).toBe(tmp);
    const free = await freeSpace(path.join(tmp, 'a/b'));
    expect(free.path).toBe(tmp);
    expect(free.bytes).toBeGreaterThan(0);
  });
});
