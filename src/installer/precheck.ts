/** Checks made before an install changes anything: the root is writable and has room. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { formatBytes, freeSpace, nearestExisting, spaceFor } from '../core/disk.js';
import { failure } from '../core/errors.js';

export async function checkWritableRoot(root: string): Promise<void> {
  const at = await nearestExisting(root);
  try {
    await access(at, constants.W_OK);
  } catch {
    throw failure('ERR_JRT_ROOT_NOT_WRITABLE', `cannot write to ${at} (runtimes root ${root})`, {
      hint: 'run as root (sudo jrt install ...) or point JRT_ROOT at a writable directory',
    });
  }
}

/**
 * The filesystem of `root` must hold the tree: its blocks (contents rounded up to whole blocks, a
 * block per directory) + 10%, and an inode per entry + 10%.
 */
export async function checkFreeSpace(
  root: string,
  entries: readonly { type: 'file' | 'dir' | 'symlink'; size: number; target?: string }[],
  what: string,
): Promise<void> {
  const free = await freeSpace(root);
  const needed = spaceFor(entries, free.blockSize);
  const bytes = Math.ceil(needed.bytes * 1.1);
  const inodes = Math.ceil(needed.inodes * 1.1);
  const hint = 'free some space or remove unused runtimes (jrt runtime remove NAME)';
  if (free.bytes < bytes)
    throw failure(
      'ERR_JRT_NO_SPACE',
      `${what} needs ${formatBytes(bytes)} (its files in ${formatBytes(Math.min(free.blockSize, 4096))} blocks + 10%) but ${free.path} has ${formatBytes(free.bytes)} free`,
      { hint },
    );
  if (free.inodes !== undefined && free.inodes < inodes)
    throw failure(
      'ERR_JRT_NO_SPACE',
      `${what} needs ${inodes} inodes (one per file, directory and link + 10%) but ${free.path} has ${free.inodes} free`,
      { hint },
    );
}
