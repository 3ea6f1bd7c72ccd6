/** Checks made before an install changes anything: the root is writable and has room. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { formatBytes, freeSpace, nearestExisting } from '../core/disk.js';
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

/** Free bytes on the filesystem of `root` must cover `bytes` × 1.1. */
export async function checkFreeSpace(root: string, bytes: number, what: string): Promise<void> {
  const { path: at, bytes: free } = await freeSpace(root);
  const need = Math.ceil(bytes * 1.1);
  if (free < need)
    throw failure(
      'ERR_JRT_NO_SPACE',
      `${what} needs ${formatBytes(need)} (unpacked size + 10%) but ${at} has ${formatBytes(free)} free`,
      { hint: 'free some space or remove unused runtimes (jrt runtime remove NAME)' },
    );
}
