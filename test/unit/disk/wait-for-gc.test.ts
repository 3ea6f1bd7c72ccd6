import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GC_LOCK, waitForGc } from '../../../src/disk/gc-apply.js';
import { acquireLock } from '../../../src/installer/lock.js';
import { tempDir } from '../../helpers/temp.js';

describe('waitForGc', () => {
  it('returns at once without a live gc, waits while one holds its lock, and gives up after the timeout', async () => {
    const state = await tempDir('jrt-gcwait-');
    await waitForGc(state);
    const release = await acquireLock(state, GC_LOCK);
    const waited: number[] = [];
    await expect(waitForGc(state, (pid) => waited.push(pid), 300)).rejects.toMatchObject({
      code: 'ERR_JRT_LOCKED',
    });
    expect(waited).toEqual([process.pid]);
    const waiting = waitForGc(state, undefined, 10_000);
    setTimeout(() => void release(), 200);
    await waiting;
    // A lock left by a dead gc is no reason to wait.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(state, 'locks', `${GC_LOCK}.lock`), '999999999 1\n');
    await waitForGc(state, undefined, 300);
  });
});
