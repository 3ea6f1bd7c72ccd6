import { chmod, lstat, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeManifest } from '../../../src/artifact/manifest.js';
import { validateManifest } from '../../../src/artifact/safety.js';
import { dropWriteBits } from '../../../src/builder/normalize.js';
import { tempDir } from '../../helpers/temp.js';

describe('dropWriteBits', () => {
  it('clears group and world write bits, keeps the rest, and the tree then packs', async () => {
    const dir = await tempDir('jrt-modes-');
    await mkdir(path.join(dir, 'rootfs/tmp'), { recursive: true });
    await mkdir(path.join(dir, 'rootfs/shared'));
    await writeFile(path.join(dir, 'rootfs/shared/notes'), 'x');
    await writeFile(path.join(dir, 'runtime.yml'), 'name: x\n');
    await symlink('shared/notes', path.join(dir, 'rootfs/link'));
    await chmod(path.join(dir, 'rootfs/tmp'), 0o1777);
    await chmod(path.join(dir, 'rootfs/shared'), 0o2775);
    await chmod(path.join(dir, 'rootfs/shared/notes'), 0o666);
    await chmod(path.join(dir, 'runtime.yml'), 0o644);

    const changed = await dropWriteBits(dir);

    expect(changed.sort()).toEqual(['/rootfs/shared', '/rootfs/shared/notes', '/rootfs/tmp']);
    const mode = async (p: string) => (await lstat(path.join(dir, p))).mode & 0o7777;
    expect(await mode('rootfs/tmp')).toBe(0o1755);
    expect(await mode('rootfs/shared')).toBe(0o2755);
    expect(await mode('rootfs/shared/notes')).toBe(0o644);
    expect(await mode('runtime.yml')).toBe(0o644);
    const m = await computeManifest(dir, {
      name: 'x-1',
      version: '1',
      jrt_version: '0',
      recipe_digest: 'r',
      lock_digest: 'l',
    });
    expect(() => validateManifest(m)).not.toThrow();
  });
});
