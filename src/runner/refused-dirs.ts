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

function within(dir: string, tree: string): boolean {
  return dir === tree || dir.startsWith(tree === '/' ? '/' : `${tree}/`);
}

/**
 * Why `dir` (absolute, symlink-free) may not be a job's working directory; undefined when it may.
 * `jrtDirs` are the runtimes root, cache, state, log and Joblet's config directory.
 */
export function refusedWorkdir(dir: string, jrtDirs: readonly string[]): string | undefined {
  const d = path.normalize(dir);
  if (d === '/') return "it is the host's root";
  for (const tree of SYSTEM_TREES) {
    if (within(d, tree)) return `it is ${d === tree ? '' : 'inside '}the host's ${tree}`;
    if (within(tree, d)) return `it holds the host's ${tree}`;
  }
  for (const own of jrtDirs.map((p) => path.normalize(p))) {
    if (within(d, own)) return `it is ${d === own ? '' : 'inside '}jrt's ${own}`;
    if (within(own, d)) return `it holds jrt's ${own}`;
  }
  return undefined;
}
