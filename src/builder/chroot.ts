/**
 * The build sandbox: a throwaway Debian root entered with bubblewrap as root of the build's user
 * namespace (userns.ts: package maintainer scripts need root's capabilities, but only there), with
 * its own mount, pid, ipc and uts namespaces, a fresh /proc, a minimal /dev (bwrap's: the usual
 * character devices) and a private /tmp. Every mount lives in the sandbox's mount namespace, so
 * nothing can be left mounted on the host whatever happens to jrt.
 */

export interface Bind {
  source: string;
  dest: string;
  readonly?: boolean;
}

export interface ChrootOptions {
  /** Only the resolve/fetch phase gets the network; building never does. */
  network: boolean;
  binds?: Bind[];
  env?: Record<string, string>;
  cwd?: string;
}

export const BUILD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** bwrap arguments that run `command` inside `root`. Pure. */
export function chrootArgv(root: string, command: string[], opts: ChrootOptions): string[] {
  const argv = [
    '--bind',
    root,
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--perms',
    '1777',
    '--tmpfs',
    '/tmp',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--hostname',
    'jrt-build',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
  ];
  if (opts.network) argv.push('--ro-bind-try', '/etc/resolv.conf', '/etc/resolv.conf');
  else argv.push('--unshare-net');
  for (const b of opts.binds ?? []) argv.push(b.readonly ? '--ro-bind' : '--bind', b.source, b.dest);
  const env: Record<string, string> = {
    PATH: BUILD_PATH,
    HOME: '/root',
    LC_ALL: 'C.UTF-8',
    DEBIAN_FRONTEND: 'noninteractive',
    ...opts.env,
  };
  for (const [k, v] of Object.entries(env)) argv.push('--setenv', k, v);
  if (opts.cwd) argv.push('--chdir', opts.cwd);
  argv.push('--', ...command);
  return argv;
}
