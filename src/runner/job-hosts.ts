/**
 * The job's /etc/hosts when its runtime leaves /etc to the job host (docs/joblet.md: Joblet writes
 * /etc/resolv.conf and /etc/hosts into the job; jrt does the same). One fixed file under the state
 * directory, rewritten by rename when missing or different; the job gets a copy (bwrap's
 * --ro-bind-data from the descriptor opened here), never the file itself.
 */
import { constants, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** `localhost` and the sandbox's hostname (plan.ts: --hostname jrt) resolve without DNS. */
export const JOB_HOSTS = '127.0.0.1\tlocalhost\n127.0.1.1\tjrt\n::1\tlocalhost ip6-localhost ip6-loopback\n';
export const HOSTS_TARGET = '/etc/hosts';

/** A read-only descriptor of `<state>/job-etc/hosts` (made or repaired first) and its path. */
export function openJobHosts(stateDir: string): { fd: number; path: string } {
  const dir = path.join(stateDir, 'job-etc');
  const file = path.join(dir, 'hosts');
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current !== JOB_HOSTS) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JOB_HOSTS, { mode: 0o644, flag: 'wx' });
    renameSync(tmp, file);
  }
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  return { fd, path: file };
}
