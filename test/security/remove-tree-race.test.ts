/**
 * A review found that removeTree, a walk by path (lstat an entry, then readdir/unlink/rmdir the same
 * path), lost to a writer that swaps a directory for a symlink in between: root then listed and
 * unlinked the symlink's target, outside the tree. gc and `jrt volume remove` run removeTree as root
 * on volumes, which jobs write into. The swap is made deterministic here by doing it right after
 * any lstat of the entry (a job loops rename+symlink to win it for real; a loop in a test did not
 * win it in 40 rounds, so the window is forced). removeTree now hands the walk to GNU rm, which
 * works through directory descriptors; a walk by path that comes back fails here.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const swap: { at?: string; to?: string } = {};
vi.mock('node:fs/promises', async (orig) => {
  const real = (await orig()) as typeof import('node:fs/promises');
  const lstat = (async (p: string, ...rest: unknown[]) => {
    const st = await (real.lstat as (...a: unknown[]) => Promise<unknown>)(p, ...rest);
    if (swap.at !== undefined && p === swap.at) {
      const at = swap.at;
      swap.at = undefined;
      // the job, in between: the directory goes aside, a symlink takes its name
      await real.rename(at, `${at}.real`);
      await real.symlink(swap.to as string, at);
    }
    return st;
  }) as typeof real.lstat;
  return { ...real, lstat, default: { ...real, lstat } };
});

describe('removeTree vs a directory swapped for a symlink', () => {
  it('never removes anything outside the tree', async () => {
    const { removeTree } = await import('../../src/core/remove-tree.js');
    const base = await tempDir('jrt-review-rt-');
    const outside = path.join(base, 'host-etc');
    await mkdir(outside);
    await writeFile(path.join(outside, 'passwd'), 'root:x:0:0');
    const vol = path.join(base, 'volumes', '.removing-1-data');
    await mkdir(path.join(vol, 'sub'), { recursive: true });
    await writeFile(path.join(vol, 'sub', 'f'), 'x');
    swap.at = path.join(vol, 'sub');
    swap.to = outside;
    await removeTree(vol).catch(() => {});
    expect(await readdir(outside)).toEqual(['passwd']);
  });
});
