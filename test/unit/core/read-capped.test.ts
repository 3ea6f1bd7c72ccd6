import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLock } from '../../../src/builder/lock.js';
import { readCapped } from '../../../src/core/read-capped.js';
import { tempDir } from '../../helpers/temp.js';

describe('readCapped', () => {
  it('reads a file up to the cap, refuses a larger one before reading it', async () => {
    const dir = await tempDir('jrt-capped-');
    const file = path.join(dir, 'f');
    writeFileSync(file, 'x'.repeat(100));
    expect((await readCapped(file, 100)).length).toBe(100);
    await expect(readCapped(file, 99)).rejects.toMatchObject({ code: 'EFBIG' });
    await expect(readCapped(path.join(dir, 'missing'), 10)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a lock over 16 MiB is ERR_JRT_LOCK_INVALID, not parsed', async () => {
    const file = path.join(await tempDir('jrt-capped-'), 'x.lock.json');
    writeFileSync(file, Buffer.alloc(16 * 1024 * 1024 + 1, ' '));
    await expect(readLock(file)).rejects.toMatchObject({
      code: 'ERR_JRT_LOCK_INVALID',
      message: `${file}: larger than 16777216 bytes`,
    });
  });
});
