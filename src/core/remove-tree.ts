/**
 * Remove a directory tree that others may write to while it goes (a volume a job used, a build
 * root its steps filled). GNU rm does it safely: it walks with directory descriptors (openat,
 * unlinkat, O_NOFOLLOW), so a directory swapped for a symlink mid-walk is never followed out of the
 * tree — a walk by path (lstat, then readdir/unlink of the same path) removes the symlink's target
 * when the swap lands between the two (test/security/remove-tree-race.test.ts). It has no PATH_MAX
 * limit (a build step can make trees deeper than 4096 bytes of path), removes symlinks without
 * following them, and with --one-file-system stops at a mount point below instead of emptying it.
 */
import { lstat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { failure } from './errors.js';
import { run } from './proc.js';

export async function removeTree(dir: string): Promise<void> {
  const top = path.resolve(dir);
  const st = await lstat(top).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return;
  if (!st.isDirectory()) return unlink(top);
  const r = await run('rm', ['-rf', '--one-file-system', '--', top], { reject: false });
  if (r.exitCode !== 0)
    throw failure(
      'ERR_JRT_REMOVE_FAILED',
      `cannot remove ${top}: ${r.stderr.trim() || `rm exited ${r.exitCode}`}`,
    );
}
