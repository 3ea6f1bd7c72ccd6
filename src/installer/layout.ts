/**
 * The installed layout.
 *
 *   <root>/<language>/<name>/                 a real directory (what Joblet lists and reads)
 *     .jrt-current -> ../.jrt/<name>@<d12>    the one symlink an upgrade switches, by rename()
 *     runtime.yml  -> .jrt-current/runtime.yml   fixed links, one per top-level entry
 *     runtime.json -> .jrt-current/runtime.json
 *     manifest.json -> .jrt-current/manifest.json
 *     rootfs       -> .jrt-current/rootfs
 *   <root>/<language>/.jrt/<name>@<d12>/      the real version directories
 *   <root>/<language>/<language>:<version>[+tags]/, <root>/<spec> -> <language>/<name>
 *                                             spec entries for Joblet (installer/spec-entries.ts)
 *
 * Why not make <language>/<name> itself the symlink: Joblet scans runtimes with Go's os.ReadDir and
 * skips entries whose DirEntry.IsDir() is false — a symlink is not a directory there — so it would
 * not see the runtime at all. With this layout <name> is a directory, every path Joblet or the runner
 * opens below it (runtime.yml, rootfs/usr as a bind source) resolves through the kernel, and the
 * switch is still one atomic rename of `.jrt-current`.
 */
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

export const VERSIONS_DIR = '.jrt';
export const STAGING_DIR = '.jrt-staging';
export const CURRENT_LINK = '.jrt-current';
/** Temporary names (debris after a crash): links inside <name>/, new <name> dirs inside .jrt/. */
export const LINK_TMP_PREFIX = '.jrt-link-';
export const NEW_DIR_PREFIX = '.jrt-new-';

export function runtimePath(root: string, language: string, name: string): string {
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
  /** The real directory holding the runtime's files (absolute). */
  dir: string;
  /** 'managed': installed by jrt (`.jrt-current`); 'plain': a directory from deploy_runtimes.sh or a copy. */
  kind: 'managed' | 'plain';
  digest12: string | undefined;
}

export async function currentVersion(
  root: string,
  language: string,
  name: string,
): Promise<CurrentVersion | undefined> {
  const at = runtimePath(root, language, name);
  const st = await lstat(at).catch(() => undefined);
  if (!st?.isDirectory()) return undefined;
  const link = path.join(at, CURRENT_LINK);
  const target = await readlink(link).catch(() => undefined);
  if (target === undefined) return { dir: at, kind: 'plain', digest12: undefined };
  const dir = path.resolve(at, target);
  return { dir, kind: 'managed', digest12: digestOfVersionDir(path.basename(dir)) };
}

export function isValidName(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(s);
}

/**
 * The real directory of the runtime at `p` (<root>/<language>/<name>): the target of its
 * `.jrt-current` when managed by jrt, `p` itself otherwise. For a job that must record which version
 * it runs on (so the installer keeps that version while the job lives).
 */
export async function resolveRuntimeDir(p: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  const link = path.join(p, CURRENT_LINK);
  if ((await lstat(link).catch(() => undefined))?.isSymbolicLink()) return realpath(link);
  return p;
}
