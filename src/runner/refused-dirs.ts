/**
 * Which host directories a job may be given read-write (its working directory). Pure.
 *
 * A job's working directory is bound read-write and owned, inside, by the job: naming the host's
 * root, a system tree or one of jrt's own directories would hand it the host. `/` is refused because
 * it holds all of them; an ancestor of jrt's directories because it holds them; anything at or below
 * a system tree or a jrt directory because it is part of them.
 */
import path from 'node:path';

/** Trees of the host's system: kernel interfaces, devices, configuration, programs, runtime sockets. */
export const SYSTEM_TREES = [
  '/proc',
  '/sys',
  '/dev',
  '/etc',
  '/boot',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/run',
  '/var/run',
];

/**
 * Directories a job may work below but not in: through the idmapped mount a job owns its working
 * directory as the directory's owner (root, here), so handing it `/root` gives it root's dotfiles,
 * `/home` every home, `/opt` or `/srv` every tree of theirs.
 */
export const SHARED_ROOTS = [
  '/root',
  '/home',
  '/srv',
  '/opt',
  '/mnt',
  '/media',
  '/tmp',
  '/var',
  '/var/tmp',
  '/var/lib',
  '/var/cache',
  '/var/local',
  '/var/opt',
  '/var/www',
];

/** Trees of the host's own state that root acts on (crontabs, mail, logs, package and unit state). */
export const HOST_STATE_TREES = [
  '/var/spool',
  '/var/mail',
  '/var/log',
  '/var/backups',
  '/var/lib/dpkg',
  '/var/lib/apt',
  '/var/lib/systemd',
  '/var/cache/apt',
];

function within(dir: string, tree: string): boolean {
  return dir === tree || dir.startsWith(tree === '/' ? '/' : `${tree}/`);
}

/**
 * Why `dir` (absolute, symlink-free) may not be a job's working directory; undefined when it may.
 * `jrtDirs` are the runtimes root, cache, state, log and Joblet's config directory.
 */
export function refusedWorkdir(
  dir: string,
  jrtDirs: readonly string[],
  homes: readonly string[] = [],
): string | undefined {
  const d = path.normalize(dir);
  if (d === '/') return "it is the host's root";
  if (SHARED_ROOTS.includes(d))
    return `it is the host's ${d}, which holds others' files: use a directory below it`;
  if (homes.includes(d)) return 'it is the home directory of an account: use a project directory below it';
  for (const tree of HOST_STATE_TREES)
    if (within(d, tree)) return `it is ${d === tree ? '' : 'inside '}the host's ${tree}`;
  for (const tree of SYSTEM_TREES) {
    if (within(d, tree)) return `it is ${d === tree ? '' : 'inside '}the host's ${tree}`;
    if (within(tree, d)) return `it holds the host's ${tree}`;
  }
  for (const own of jrtDirs.map((p) => path.normalize(p))) {
    if (d === own) return `it is jrt's ${own}`;
    if (within(d, own)) return `it is ${d === own ? '' : 'inside '}jrt's ${own}`;
    if (within(own, d)) return `it holds jrt's ${own}`;
  }
  return undefined;
}

/** A sticky directory others may write (/tmp-like): a job's files there would be its owner's, root's. */
export function refusedMode(dir: string, mode: number): string | undefined {
  return (mode & 0o1002) === 0o1002
    ? `${dir} is sticky and world-writable (mode ${(mode & 0o7777).toString(8)}): files a job left there would belong to its owner and pass for theirs; use a directory of the job's own below it`
    : undefined;
}
