import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTree } from '../../../src/core/remove-tree.js';
import { tempDir } from '../../helpers/temp.js';

/** mkdir + chdir in a loop, as a build step can: every path below some depth exceeds PATH_MAX. */
function deepTree(dir: string, levels: number): void {
  execFileSync('perl', [
    '-e',
    'chdir $ARGV[0] or die; for (1..$ARGV[1]) { mkdir "dddddddd" or die; chdir "dddddddd" or die; mkdir "side"; open F, ">f" or die; close F; symlink "/", "up" } print "ok"',
    dir,
    String(levels),
  ]);
}

describe('removeTree removes trees of any depth', () => {
  it('a tree 1,500 levels deep (13.5 kB paths, fs.rm fails with ENAMETOOLONG) is removed', async () => {
    const dir = await tempDir('jrt-deep-');
    const sentinel = await tempDir('jrt-deep-sentinel-');
    writeFileSync(path.join(sentinel, 'keep'), 'keep');
    deepTree(dir, 1500);
    // Links to the host are removed, never followed.
    symlinkSync(sentinel, path.join(dir, 'dddddddd', 'to-sentinel'));
    await removeTree(dir);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(path.join(sentinel, 'keep'))).toBe(true);
    rmSync(sentinel, { recursive: true });
  });

  it('a planted .jrt-deep-0 is not overwritten, an unreadable directory is opened, a missing one is fine', async () => {
    const dir = await tempDir('jrt-deep-');
    mkdirSync(path.join(dir, '.jrt-deep-0', 'x'), { recursive: true });
    deepTree(dir, 600);
    mkdirSync(path.join(dir, 'closed', 'inner'), { recursive: true });
    execFileSync('chmod', ['000', path.join(dir, 'closed')]);
    await removeTree(dir);
    expect(existsSync(dir)).toBe(false);
    await removeTree(dir);
  });
});
