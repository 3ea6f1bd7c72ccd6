/**
 * The installed layout. <root>/<language>/<name> is a symlink to
 * <root>/<language>/.jrt/<name>@<digest12>/, the real directory; switching versions is one rename()
 * of a new symlink over the old. Dot directories (.jrt, .jrt-staging) are ignored by Joblet.
 */
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

export const VERSIONS_DIR = '.jrt';
export const STAGING_DIR = '.jrt-staging';
export const LINK_TMP_PREFIX = '.jrt-link-';

export function runtimeLink(root: string, language: string, name: string): string {
  return path.join(root, language, name);
}

export function versionsDir(root: string, language: string): string {
  return path.join(root, language, VERSIONS_DIR);
}

export function versionDirName(name: string, digest: string): string {
  return `${name}@${digest.slice(0, 12)}`;
}

/** The digest prefix encoded in a version directory name (`name@abc123def456` or `...~suffix`). */
export function digestOfVersionDir(dirName: string): string | undefined {
  const m = /@([0-9a-f]{12})(?:~[0-9a-z]+)?$/.exec(dirName);
  return m?.[1];
}

export interface CurrentVersion {
  /** The real directory (absolute). */
  dir: string;
  /** 'link': managed by jrt; 'dir': a plain directory (deploy_runtimes.sh or a copy). */
  kind: 'link' | 'dir';
  digest12: string | undefined;
}

export async function currentVersion(
  root: string,
  language: string,
  name: string,
): Promise<CurrentVersion | undefined> {
  const link = runtimeLink(root, language, name);
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(link);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) return { dir: link, kind: 'dir', digest12: undefined };
  if (!st.isSymbolicLink()) return undefined;
  const target = await readlink(link);
  const dir = path.resolve(path.dirname(link), target);
  return { dir, kind: 'link', digest12: digestOfVersionDir(path.basename(dir)) };
}

export function isValidName(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(s) && !s.startsWith('.');
}
