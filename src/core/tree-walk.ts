/**
 * Listing a tree: every entry below a directory, with in-tree absolute paths (`/usr/bin/java`),
 * depth first, each directory's names sorted. The builder's passes (collect, strip, check) read
 * this list as it is; the artifact manifest (scanTree) hashes and sorts it bytewise on top.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

export type SpecialKind = 'fifo' | 'socket' | 'character device' | 'block device';

export interface TreeEntry {
  /** In-tree absolute path, e.g. `/usr/bin/java`. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  /** Permission bits, setuid/setgid/sticky included. */
  mode: number;
  /** Symlink target as stored. */
  target?: string;
  /** What an `other` entry is. */
  special?: SpecialKind;
}

function specialKind(st: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
}): SpecialKind {
  return st.isFIFO()
    ? 'fifo'
    : st.isSocket()
      ? 'socket'
      : st.isCharacterDevice()
        ? 'character device'
        : 'block device';
}

/** `skip(path)` leaves an entry (and what is below it) out of the list. */
export async function walkTree(
  tree: string,
  start = '/',
  skip?: (inTree: string) => boolean,
): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (inTree: string): Promise<void> => {
    const names = (await readdir(path.join(tree, inTree))).sort();
    for (const name of names) {
      const p = path.posix.join(inTree, name);
      if (skip?.(p)) continue;
      const st = await lstat(path.join(tree, p));
      const type = st.isSymbolicLink()
        ? 'symlink'
        : st.isDirectory()
          ? 'dir'
          : st.isFile()
            ? 'file'
            : 'other';
      const entry: TreeEntry = { path: p, type, size: type === 'file' ? st.size : 0, mode: st.mode & 0o7777 };
      if (type === 'symlink') entry.target = await readlink(path.join(tree, p));
      if (type === 'other') entry.special = specialKind(st);
      out.push(entry);
      if (type === 'dir') await visit(p);
    }
  };
  await visit(start);
  return out;
}
