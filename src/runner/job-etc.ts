/**
 * The files of /etc that jrt writes into a job whose runtime leaves /etc to the job host (docs/joblet.md:
 * Joblet writes /etc/resolv.conf and /etc/hosts into the job; jrt does the same, see prepare.ts).
 * The job gets copies (bwrap's --ro-bind-data from descriptors opened here), never the files.
 *
 * - /etc/hosts: one fixed file under the state directory, rewritten by rename when missing or different.
 * - /etc/passwd and /etc/group: the job's own uid and gid by name (`job`, home /work), so that
 *   getpwuid() answers: Java's user.home (Maven's ~/.m2) is /work rather than `?`, `whoami` and
 *   Python's getpass work. Their content depends on the job's uid, so each job gets its own pair,
 *   written by the idmap helper into its private tmpfs (idmap.ts): in memory, gone with the job.
 */
import { constants, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** `localhost` and the sandbox's hostname (plan.ts: --hostname jrt) resolve without DNS. */
export const JOB_HOSTS = '127.0.0.1\tlocalhost\n127.0.1.1\tjrt\n::1\tlocalhost ip6-localhost ip6-loopback\n';
export const HOSTS_TARGET = '/etc/hosts';
export const PASSWD_TARGET = '/etc/passwd';
export const GROUP_TARGET = '/etc/group';

/** The name a job's user and group have inside the sandbox. */
export const JOB_USER = 'job';

function jobEtcDir(stateDir: string): string {
  const dir = path.join(stateDir, 'job-etc');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

/** A read-only descriptor of `<state>/job-etc/hosts` (made or repaired first) and its path. */
export function openJobHosts(stateDir: string): { fd: number; path: string } {
  const file = path.join(stateDir, 'job-etc', 'hosts');
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current !== JOB_HOSTS) {
    jobEtcDir(stateDir);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JOB_HOSTS, { mode: 0o644, flag: 'wx' });
    renameSync(tmp, file);
  }
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  return { fd, path: file };
}

/** Pure: the job's /etc/passwd and /etc/group, with root and nobody as every Debian system has them. */
export function jobAccounts(uid: number, gid: number): { passwd: string; group: string } {
  const passwd = [
    'root:x:0:0:root:/root:/usr/sbin/nologin',
    ...(uid !== 0 && uid !== 65534 ? [`${JOB_USER}:x:${uid}:${gid}:jrt job:/work:/bin/sh`] : []),
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  ];
  const group = [
    'root:x:0:',
    ...(gid !== 0 && gid !== 65534 ? [`${JOB_USER}:x:${gid}:`] : []),
    'nogroup:x:65534:',
  ];
  return { passwd: `${passwd.join('\n')}\n`, group: `${group.join('\n')}\n` };
}
