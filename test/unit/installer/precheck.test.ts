import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spaceFor } from '../../../src/core/disk.js';
import { checkFreeSpace, checkWritableRoot } from '../../../src/installer/precheck.js';
import { compareTree } from '../../../src/installer/verify.js';
import { tempDir } from '../artifact/fixture.js';

describe('pre-checks', () => {
  it('refuses when the blocks of the files + 10% exceed the free space, naming both', async () => {
    const dir = await tempDir();
    const huge = [{ type: 'file' as const, size: 2 ** 60 }];
    await expect(checkFreeSpace(path.join(dir, 'not/yet'), huge, 'java-17')).rejects.toMatchObject({
      code: 'ERR_JRT_NO_SPACE',
      message: expect.stringMatching(/^java-17 needs .+ TiB \(its files in .+ blocks \+ 10%\) but .+ free$/),
    });
    await expect(checkFreeSpace(dir, [{ type: 'file', size: 1024 }], 'tiny')).resolves.toBeUndefined();
  });

  it('accepts a root that does not exist yet below a writable directory', async () => {
    await expect(checkWritableRoot(path.join(await tempDir(), 'a/b/c'))).resolves.toBeUndefined();
  });
});

describe('spaceFor', () => {
  it('rounds files up to whole blocks, gives directories a block, symlinks only an inode', () => {
    const entries = [
      { type: 'dir' as const, size: 0 },
      { type: 'file' as const, size: 0 },
      { type: 'file' as const, size: 1 },
      { type: 'file' as const, size: 4096 },
      { type: 'file' as const, size: 4097 },
      { type: 'symlink' as const, size: 0 },
    ];
    expect(spaceFor(entries, 4096)).toEqual({ bytes: 4096 * (1 + 0 + 1 + 1 + 2), inodes: 6 });
    expect(spaceFor(entries, 1024)).toEqual({ bytes: 1024 * (1 + 0 + 1 + 4 + 5), inodes: 6 });
    // A 128 KiB f_bsize (ZFS' record size) is counted in 4 KiB units.
    expect(spaceFor(entries, 128 * 1024)).toEqual(spaceFor(entries, 4096));
    // A symlink whose target does not fit in the inode takes a block.
    const long = { type: 'symlink' as const, size: 0, target: `../${'x'.repeat(60)}` };
    expect(spaceFor([long], 4096)).toEqual({ bytes: 4096, inodes: 1 });
  });
});

describe('compareTree', () => {
  it('reports type changes and retargeted symlinks', () => {
    const r = compareTree(
      [
        { path: 'a', type: 'symlink', mode: 0o777, size: 0, target: 'x' },
        { path: 'b', type: 'dir', mode: 0o755, size: 0 },
      ],
      [
        { path: 'a', type: 'symlink', mode: 0o777, size: 0, target: '/etc/passwd' },
        { path: 'b', type: 'file', mode: 0o755, size: 1, sha256: 'aa' },
      ],
    );
    expect(r).toEqual({
      ok: false,
      modified: [
        { path: 'a', reason: "links to '/etc/passwd', manifest says 'x'" },
        { path: 'b', reason: 'is a file, manifest says dir' },
      ],
      missing: [],
      extra: [],
    });
  });
});
