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

/** Free bytes (for an unprivileged user) on the filesystem `dir` is or will be created on. */
export async function freeSpace(dir: string): Promise<{ path: string; bytes: number }> {
  const at = await nearestExisting(dir);
  const s = await statfs(at);
  return { path: at, bytes: Number(s.bavail) * Number(s.bsize) };
}

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
