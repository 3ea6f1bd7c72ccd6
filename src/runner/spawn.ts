/**
 * Starting the job. This is the one place outside src/core/proc.ts that starts processes: it uses
 * node:child_process directly, because `jrt exec` must not load execa and needs the raw pid and
 * signals. The first program it starts is the idmap helper (native/jrt-idmap.c), which puts itself
 * into the job's cgroups and then execs the sandbox, so every process of the job — bwrap included —
 * is inside the cgroups before anything of the job runs, without a shell in between.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { ARGS_FD, RESOLV_CONF_FD, SECCOMP_FD } from './plan.js';

const LAUNCH_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/**
 * The idmap helper's options that put it, and so bwrap and every process of the job, into the job's
 * cgroups before anything of the job runs, and leave a --timeout watchdog there
 * (native/jrt-idmap.c: --cgroup, --kill-after).
 */
export function cgroupHelperArgs(cg: CgroupLaunch | undefined): string[] {
  if (!cg) return [];
  return [
    ...cg.procsFiles.flatMap((f) => ['--cgroup', f]),
    ...(cg.killAfterSeconds === undefined
      ? []
      : ['--kill-after', cg.killAfterSeconds.toFixed(3), cg.allProcs]),
  ];
}

/** The job's cgroups, as the helper that joins them needs them. */
export interface CgroupLaunch {
  procsFiles: string[];
  /** cgroup.procs of the cgroup that lists every process of the job. */
  allProcs: string;
  /** When set, the watchdog SIGKILLs every process of the job this many seconds after the start. */
  killAfterSeconds?: number;
}

export interface SpawnedJob {
  pid: number;
  /**
   * `execed` is whether bwrap reached the job's exec (it reports `exit-code` on its status fd only
   * then): false means the sandbox itself failed, and bwrap's status 1 is not the job's.
   */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; execed: boolean }>;
  /** What bwrap wrote to its status fd so far (child-pid and namespaces first). */
  status: () => string;
  /** The command's fd 4, when asked for. */
  control: Duplex | undefined;
}

/** bwrap writes JSON documents to this fd of its own: child-pid at start, exit-code after an exec'd job ends. */
const STATUS_FD = 3;

/** The prefix that runs a command as `uid:gid` on the host (setpriv), with no new privileges. */
export function asUser(uid: number, gid: number): string[] {
  return uid === 0 && gid === 0
    ? []
    : ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--no-new-privs'];
}

/**
 * The argv that runs bwrap behind `helper` (the idmap helper: it mounts the job's directories as
 * root, then becomes the job's uid:gid, as setpriv would, and execs bwrap), so the job's files are
 * accessed as that user on the host too.
 */
export function sandboxCommand(bwrapArgs: string[], helper: string[], bwrap = 'bwrap'): string[] {
  return [...helper, bwrap, '--json-status-fd', String(STATUS_FD), ...bwrapArgs];
}

/**
 * Start `command` (the helper, which joins the job's cgroups itself: cgroupHelperArgs).
 * With `control`, the command's fd 4 is a socket to jrt (the --network=web launcher's). `data` is
 * what the command reads from its fd 5 (RESOLV_CONF_FD: bwrap's --ro-bind-data), `seccomp` from its fd 6
 * (SECCOMP_FD: bwrap's --seccomp), `options` from its fd 7 (ARGS_FD: bwrap's --args). `inherit` gives the command jrt's descriptors at the numbers
 * it maps them to (7 and up: the job's directories and files).
 */
export function spawnJob(
  command: string[],
  opts: {
    control?: boolean;
    data?: string;
    seccomp?: Buffer;
    options?: string;
    inherit?: Map<number, number>;
  } = {},
): SpawnedJob {
  const [file, ...args] = command as [string, ...string[]];
  const stdio: ('inherit' | 'pipe' | 'ignore' | number)[] = [
    'inherit',
    'inherit',
    'inherit',
    'pipe',
    opts.control ? 'pipe' : 'ignore',
    opts.data !== undefined ? 'pipe' : 'ignore',
    opts.seccomp ? 'pipe' : 'ignore',
    opts.options !== undefined ? 'pipe' : 'ignore',
  ];
  for (const [childFd, fd] of opts.inherit ?? []) {
    while (stdio.length < childFd) stdio.push('ignore');
    stdio[childFd] = fd;
  }
  const child = spawn(file, args, { stdio, env: LAUNCH_ENV });
  // bwrap may fail before it reads them: an EPIPE here is not news (bwrap's own message is).
  const input = (fd: number) => (child.stdio[fd] as unknown as Duplex).on('error', () => {});
  if (opts.data !== undefined) input(RESOLV_CONF_FD).end(opts.data);
  if (opts.seccomp) input(SECCOMP_FD).end(opts.seccomp);
  if (opts.options !== undefined) input(ARGS_FD).end(opts.options);
  let status = '';
  const statusStream = child.stdio[STATUS_FD] as NodeJS.ReadableStream | null;
  statusStream?.setEncoding('utf8');
  statusStream?.on('data', (d: string) => {
    status += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; execed: boolean }>(
    (resolve, reject) => {
      child.once('error', reject);
      // 'close' comes after every stdio stream ended, so the status document is complete.
      child.once('close', (code, signal) =>
        resolve({ code, signal, execed: status.includes('"exit-code"') }),
      );
    },
  );
  // If spawn failed, `exited` rejects with the reason.
  const controlStream = opts.control ? (child.stdio[4] as Duplex) : undefined;
  return { pid: child.pid ?? -1, exited, status: () => status, control: controlStream };
}

/**
 * Start a helper of the job (slirp4netns): output piped (for its error message), fds 3.. as pipes
 * to jrt, the same minimal environment as the job's launcher.
 */
export function spawnHelper([file, args]: [string, string[]], pipes: number): ChildProcess {
  return spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe', ...Array<'pipe'>(pipes).fill('pipe')],
    env: LAUNCH_ENV,
  });
}

/**
 * Run a short host tool to its end (systemctl, busctl: src/runner/systemd.ts; nsenter + nft:
 * egress-setup.ts) with the launcher's minimal environment, `input` on its stdin; `error` when it
 * could not be started.
 */
export function runTool(
  file: string,
  args: string[],
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(file, args, {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
    env: { ...LAUNCH_ENV, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr || (r.error ? String(r.error) : '') };
}

/** Where `name` is on the launcher's PATH (an executable regular file), if anywhere. */
export function findOnLaunchPath(name: string): string | undefined {
  for (const dir of LAUNCH_ENV.PATH.split(':')) {
    const candidate = `${dir}/${name}`;
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}
