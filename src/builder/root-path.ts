/**
 * Path resolution inside a directory that stands for `/` (a build root or a runtime tree): symlinks
 * are followed the way the kernel would inside a chroot — absolute targets restart at the root, `..`
 * stops at the root — and never through the host's own filesystem.
 */
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface InRoot {
  /** The resolved absolute path inside the root (`/usr/lib/x86_64-linux-gnu/libc.so.6`). */
  path: string;
  /** Whether it exists (after following symlinks, if asked to). */
  exists: boolean;
  /** The symlinks passed through on the way (in-root absolute paths). */
  links: string[];
}

const MAX_LINKS = 40;

/** Resolve `p` (absolute, in-root) inside `root`. `followLast` decides whether a final symlink is followed. */
export async function resolveInRoot(root: string, p: string, followLast = true): Promise<InRoot> {
  const rest = p.split('/').filter((c) => c !== '');
  const done: string[] = [];
  const links: string[] = [];
  while (rest.length > 0) {
    const comp = rest.shift()!;
    if (comp === '.') continue;
    if (comp === '..') {
      done.pop();
      continue;
    }
    const inRoot = `/${[...done, comp].join('/')}`;
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(path.join(root, inRoot));
    } catch {
      return { path: `/${[...done, comp, ...rest].join('/')}`, exists: false, links };
    }
    if (st.isSymbolicLink() && (rest.length > 0 || followLast)) {
      if (links.length >= MAX_LINKS) return { path: inRoot, exists: false, links };
      links.push(inRoot);
      const target = await readlink(path.join(root, inRoot));
      if (target.startsWith('/')) done.length = 0;
      rest.unshift(...target.split('/').filter((c) => c !== ''));
      continue;
    }
    if (rest.length > 0 && !st.isDirectory()) {
      return { path: `/${[...done, comp, ...rest].join('/')}`, exists: false, links };
    }
    done.push(comp);
  }
  return { path: `/${done.join('/')}`, exists: true, links };
}

/** The canonical location of `p`: its parent directory resolved inside the root, its own name kept. */
export async function canonicalInRoot(root: string, p: string): Promise<string> {
  const parent = path.posix.dirname(p);
  const base = path.posix.basename(p);
  if (parent === p) return '/';
  const resolved = await resolveInRoot(root, parent, true);
  return path.posix.join(resolved.path, base);
}

/** Whether a relative symlink target climbs above the root, judged from the link's own directory. */
export function relativeLinkEscapes(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  let depth = path.posix
    .dirname(linkPath)
    .split('/')
    .filter((c) => c !== '').length;
  for (const comp of target.split('/')) {
    if (comp === '..') depth--;
    else if (comp !== '' && comp !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/** Join an in-root absolute path onto the host path of the root. */
export function hostPath(root: string, inRoot: string): string {
  return path.join(root, inRoot);
}
