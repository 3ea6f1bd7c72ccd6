/** Disk space as the installer's pre-checks and `jrt doctor` both see it, and how sizes are printed. */
import { access, statfs } from 'node:fs/promises';
import path from 'node:path';

/** The nearest existing ancestor of `p` (a runtimes root may not exist yet). */
export async function nearestExisting(p: string): Promise<string> {
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

export interface FreeSpace {
  /** The existing directory that was measured. */
  path: string;
  /** Free bytes for an unprivileged user. */
  bytes: number;
  blockSize: number;
  /** Free inodes; undefined where the filesystem has no fixed number (btrfs reports 0 of 0). */
  inodes: number | undefined;
}

/** Free space on the filesystem `dir` is or will be created on. */
export async function freeSpace(dir: string): Promise<FreeSpace> {
  const at = await nearestExisting(dir);
  const s = await statfs(at);
  return {
    path: at,
    bytes: Number(s.bavail) * Number(s.bsize),
    blockSize: Number(s.bsize),
    inodes: Number(s.files) > 0 ? Number(s.ffree) : undefined,
  };
}

/**
 * What a tree takes on a filesystem with `blockSize` blocks: each file's contents rounded up to whole
 * blocks, a block per directory and per symlink too long to live in its inode, and an inode per
 * entry. The rounding unit is at most 4 KiB: filesystems that report a larger `f_bsize` (ZFS gives
 * its record size) store small files in smaller blocks. Pure.
 */
export function spaceFor(
  entries: readonly { type: 'file' | 'dir' | 'symlink'; size: number; target?: string }[],
  blockSize: number,
): { bytes: number; inodes: number } {
  const unit = Math.min(blockSize, 4096);
  let bytes = 0;
  for (const e of entries) {
    if (e.type === 'dir') bytes += unit;
    else if (e.type === 'file') bytes += Math.ceil(e.size / unit) * unit;
    else if ((e.target?.length ?? 0) >= INLINE_SYMLINK_MAX) bytes += unit;
  }
  return { bytes, inodes: entries.length };
}

/** ext4 keeps a symlink target shorter than this in the inode itself. */
const INLINE_SYMLINK_MAX = 60;

/** `512 B`, `1.5 KiB`, `5.0 GiB`. */
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
