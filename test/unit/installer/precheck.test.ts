import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFreeSpace, checkWritableRoot } from '../../../src/installer/precheck.js';
import { compareTree } from '../../../src/installer/verify.js';
import { tempDir } from '../artifact/fixture.js';

describe('pre-checks', () => {
  it('refuses when the unpacked size + 10% exceeds the free space, naming both', async () => {
    const dir = await tempDir();
    await expect(checkFreeSpace(path.join(dir, 'not/yet'), 2 ** 60, 'java-17')).rejects.toMatchObject({
      code: 'ERR_JRT_NO_SPACE',
      message: expect.stringMatching(/^java-17 needs .+ TiB \(unpacked size \+ 10%\) but .+ free$/),
    });
    await expect(checkFreeSpace(dir, 1024, 'tiny')).resolves.toBeUndefined();
  });

  it('accepts a root that does not exist yet below a writable directory', async () => {
    await expect(checkWritableRoot(path.join(await tempDir(), 'a/b/c'))).resolves.toBeUndefined();
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
