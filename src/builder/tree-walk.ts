/** Listing a runtime tree: every entry below a directory, with in-tree absolute paths, sorted. */
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface TreeEntry {
  /** In-tree absolute path, e.g. `/usr/bin/java`. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mode: number;
  /** Symlink target as stored. */
  target?: string;
}

export async function walkTree(tree: string, start = '/'): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (inTree: string): Promise<void> => {
    const names = (await readdir(path.join(tree, inTree))).sort();
    for (const name of names) {
      const p = path.posix.join(inTree, name);
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
      out.push(entry);
      if (type === 'dir') await visit(p);
    }
  };
  await visit(start);
  return out;
}
