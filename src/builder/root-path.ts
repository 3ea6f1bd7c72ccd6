/**
 * Path resolution inside a directory that stands for `/` (a build root or a runtime tree): symlinks
 * are followed the way the kernel would inside a chroot — absolute targets restart at the root, `..`
 * stops at the root — and never through the host's own filesystem.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';

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

/**
 * The canonical location of `p`: its parent directory resolved inside the root, its own name kept.
 * Undefined when the parent does not exist as a directory inside the root, or `p` names no entry
 * (`/a/..`): the rest of such a path is never resolved as text (`/x/../h` is not `/h` when `x` is
 * missing, as the kernel would say too), and never by the host's kernel.
 */
export async function canonicalInRoot(root: string, p: string): Promise<string | undefined> {
  if (!p.startsWith('/')) return undefined;
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  const base = path.posix.basename(trimmed);
  if (base === '.' || base === '..') return undefined;
  const parent = await resolveInRoot(root, path.posix.dirname(trimmed), true);
  if (!parent.exists) return undefined;
  return parent.path === '/' ? `/${base}` : `${parent.path}/${base}`;
}

/** Whether `p` is an absolute path with no empty, `.` or `..` component (its text is its location). */
export function isPlainPath(p: string): boolean {
  if (!p.startsWith('/') || p.includes('\0')) return false;
  if (p === '/') return true;
  return p
    .slice(1)
    .split('/')
    .every((c) => c !== '' && c !== '.' && c !== '..');
}

/**
 * The host path of the plain in-root path `p`, once every directory above it is known to be a real
 * directory of the root (no symlink the host's kernel would follow out of it); undefined when one is
 * not. The entry itself is not followed: lstat, readlink or open with O_NOFOLLOW the result. `known`
 * caches directories already checked; the root must not change meanwhile (the build has ended).
 */
export async function hostPathInRoot(
  root: string,
  p: string,
  known: Set<string> = new Set(),
): Promise<string | undefined> {
  if (!isPlainPath(p)) return undefined;
  const parts = p.split('/').slice(1, -1);
  let dir = '';
  for (const part of parts) {
    dir = `${dir}/${part}`;
    if (known.has(dir)) continue;
    const st = await lstat(path.join(root, dir)).catch(() => undefined);
    if (!st?.isDirectory()) return undefined;
    known.add(dir);
  }
  return path.join(root, p);
}

/**
 * Read the file at in-root `p` (its symlinks followed inside the root), at most `maxBytes`.
 * Undefined when it does not exist or is not a regular file.
 */
export async function readFileInRoot(
  root: string,
  p: string,
  maxBytes = 64 * 1024 * 1024,
): Promise<string | undefined> {
  const r = await resolveInRoot(root, p);
  const host = r.exists ? await hostPathInRoot(root, r.path) : undefined;
  if (!host) return undefined;
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    if (st.size > maxBytes)
      throw failure('ERR_JRT_CLOSURE_PATH_UNSAFE', `${p} in the build root is larger than ${maxBytes} bytes`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
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

/** The names in the directory at in-root `p` (its symlinks followed inside the root); [] when none. */
export async function readdirInRoot(root: string, p: string): Promise<string[]> {
  const r = await resolveInRoot(root, p);
  const host = r.exists ? await hostPathInRoot(root, r.path) : undefined;
  if (!host || !(await lstat(host)).isDirectory()) return [];
  return readdir(host);
}
