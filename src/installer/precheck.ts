/** Checks made before an install changes anything: the root is writable and has room. */
import { constants } from 'node:fs';
import { access, statfs } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';

/** The nearest existing ancestor of `p` (the root may not exist yet). */
async function nearestExisting(p: string): Promise<string> {
  let cur = path.resolve(p);
  for (;;) {
    try {
      await access(cur);
      return cur;
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

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
  const at = await nearestExisting(root);
  const s = await statfs(at);
  const free = Number(s.bavail) * Number(s.bsize);
  const need = Math.ceil(bytes * 1.1);
  if (free < need)
    throw failure(
      'ERR_JRT_NO_SPACE',
      `${what} needs ${formatBytes(need)} (unpacked size + 10%) but ${at} has ${formatBytes(free)} free`,
      { hint: 'free some space or remove unused runtimes (jrt runtime remove NAME)' },
    );
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
