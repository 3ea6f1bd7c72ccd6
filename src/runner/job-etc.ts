/**
 * The files of /etc that jrt writes into a job whose runtime leaves /etc to the job host (docs/joblet.md:
 * Joblet writes /etc/resolv.conf and /etc/hosts into the job; jrt does the same, see prepare.ts). Pure:
 * their text. The idmap helper writes each into its private tmpfs (idmap.ts: `--write NAME TEXT`) and
 * bwrap binds it read-only at /etc/NAME: in memory, per job, gone with the job; nothing in JRT_STATE.
 *
 * - hosts: `localhost` and the sandbox's hostname (plan.ts: --hostname jrt) resolve without DNS.
 * - passwd and group: the job's own uid and gid by name (`job`, home /work), so that getpwuid()
 *   answers: Java's user.home (Maven's ~/.m2) is /work rather than `?`, `whoami` and Python's getpass
 *   work.
 */

export const JOB_HOSTS = '127.0.0.1\tlocalhost\n127.0.1.1\tjrt\n::1\tlocalhost ip6-localhost ip6-loopback\n';

/** The name a job's user and group have inside the sandbox. */
export const JOB_USER = 'job';

/** Pure: /etc/NAME → text for a job of uid:gid, with root and nobody as every Debian system has them. */
export function jobEtcFiles(uid: number, gid: number): Record<'hosts' | 'passwd' | 'group', string> {
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
  return { hosts: JOB_HOSTS, passwd: `${passwd.join('\n')}\n`, group: `${group.join('\n')}\n` };
}
