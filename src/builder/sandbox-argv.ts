/**
 * A minimal runtime sandbox for smoke tests: the runtime's mounts read-only, fresh /proc and /dev,
 * private /tmp, the test's work dir at /work, no network, an unprivileged user, no capabilities.
 * Pure.
 */
import path from 'node:path';
import type { RuntimeYml } from '../core/runtime-format.js';

export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export function runtimeEnvironment(yml: RuntimeYml): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOME: '/work', LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(yml.environment)) {
    if (k === 'PATH_PREPEND') env.PATH = `${v}:${env.PATH}`;
    else env[k] = v;
  }
  return env;
}

export function runtimeSandboxArgv(
  runtimeDir: string,
  yml: RuntimeYml,
  workDir: string,
  command: string[],
): string[] {
  const argv = [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--uid',
    '65534',
    '--gid',
    '65534',
    '--cap-drop',
    'ALL',
    '--clearenv',
  ];
  for (const m of yml.mounts) {
    const src = path.join(runtimeDir, m.source);
    if (m.selective && m.selective.length > 0) {
      for (const entry of m.selective)
        argv.push(
          m.readonly ? '--ro-bind' : '--bind',
          path.join(src, entry),
          path.posix.join(m.target, entry),
        );
    } else argv.push(m.readonly ? '--ro-bind' : '--bind', src, m.target);
  }
  argv.push(
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '1777',
    '--tmpfs',
    '/tmp',
    '--bind',
    workDir,
    '/work',
    '--chdir',
    '/work',
  );
  for (const [k, v] of Object.entries(runtimeEnvironment(yml))) argv.push('--setenv', k, v);
  argv.push('--', ...command);
  return argv;
}
