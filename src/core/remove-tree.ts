/**
 * Remove a directory tree of any depth. Node has no unlinkat/openat, and `fs.rm` builds each
 * path in full: a tree deeper than PATH_MAX (4096 bytes), which a build step can make with a loop
 * of mkdir and chdir, fails it with ENAMETOOLONG. Here a subtree whose path grows long is first
 * renamed to a short name at the top of the tree being removed, so every path used stays short.
 * Symlinks are removed, never followed.
 */
import { chmod, lstat, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Paths longer than this are moved up before they are descended into (PATH_MAX is 4096). */
const SHORT = 2048;

export async function removeTree(dir: string): Promise<void> {
  const top = path.resolve(dir);
  const st = await lstat(top).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return;
  if (!st.isDirectory()) return unlink(top);
  const moved: string[] = [];
  let n = 0;
  const empty = async (d: string): Promise<void> => {
    for (const name of await readEntries(d)) {
      const child = `${d}/${name}`;
      const cst = await lstat(child);
      if (!cst.isDirectory()) {
        await unlink(child);
      } else if (Buffer.byteLength(child) > SHORT) {
        let to = `${top}/.jrt-deep-${n++}`;
        while (
          await lstat(to).then(
            () => true,
            () => false,
          )
        )
          to = `${top}/.jrt-deep-${n++}`;
        await rename(child, to);
        moved.push(to);
      } else {
        await empty(child);
        await rmdir(child);
      }
    }
  };
  await empty(top);
  // Each moved subtree is emptied from the top too (moving deeper parts up again as needed).
  for (let d = moved.shift(); d !== undefined; d = moved.shift()) {
    await empty(d);
    await rmdir(d);
  }
  await rmdir(top);
}

/** A directory's names; one a step made unreadable (mode 000) is opened up first. */
async function readEntries(d: string): Promise<string[]> {
  try {
    return await readdir(d);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    await chmod(d, 0o700);
    return readdir(d);
  }
}
