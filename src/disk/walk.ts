/**
 * Size walks of jrt's directories. Volumes are job-writable: a job can plant symlinks, hard links,
 * deep trees and mount-looking names in them. So a walk lstat()s every entry and never follows a
 * symlink (a link to / counts as the link's own blocks), does not descend into another filesystem
 * (a bind mount below a runtime is the mount's, not jrt's: `du -x`), and reports inodes rather than
 * paths, so a file hard-linked a thousand times is counted once.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** One inode: `dev:ino`, and its st_blocks × 512 (what du counts). */
export interface Inode {
  key: string;
  bytes: number;
}

/** Every inode of the tree at `top` (itself included); [] when it does not exist. */
export async function walkInodes(top: string): Promise<Inode[]> {
  const st = await lstat(top).catch(() => undefined);
  if (!st) return [];
  const out: Inode[] = [{ key: `${st.dev}:${st.ino}`, bytes: st.blocks * 512 }];
  if (!st.isDirectory()) return out;
  const dev = st.dev;
  // An explicit stack, not recursion: a build step can make a tree thousands of levels deep.
  const stack = [top];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const p = path.join(dir, name);
      const c = await lstat(p).catch(() => undefined);
      if (!c || c.dev !== dev) continue;
      out.push({ key: `${c.dev}:${c.ino}`, bytes: c.blocks * 512 });
      if (c.isDirectory()) stack.push(p);
    }
  }
  return out;
}
