/**
 * The sandbox of a job as data: which host paths appear where, which namespaces, which user, which
 * environment — and the bwrap argv that makes it. Pure: every host path it gets is already resolved.
 */
import path from 'node:path';
import { usageError } from '../core/errors.js';
import type { RuntimeMount, RuntimeYml } from '../core/runtime-format.js';
import { NETWORK_MODES, type NetworkMode } from './network-modes.js';

export interface SandboxJob {
  /** Host directory bound read-write at /work; by the descriptor `workdirFd` of bwrap when given. */
  workdir: string;
  workdirFd?: number;
  /** Host directories bound read-write at `target` (named volumes, the package-manager cache). */
  volumes: { hostPath: string; target: string; fd?: number }[];
  /**
   * Host files read-only at `target` (a job file that lies outside the working directory): bound,
   * or, with `fd`, copied in from that descriptor of bwrap with mode `perms`.
   */
  files: { hostPath: string; target: string; fd?: number; perms?: string }[];
  network: NetworkMode;
  /** What /etc/resolv.conf says (host and web networks), when the sandbox has one to cover. */
  resolvConf?: string;
  /**
   * Files of /etc (name → text: hosts, passwd, group; job-etc.ts) that no runtime mount covers: the
   * idmap helper writes them into its private tmpfs `etcDir` (idmap.ts), bwrap binds them read-only.
   */
  etcFiles?: Record<string, string>;
  etcDir?: string;
  /** The size of /tmp and /dev/shm (tmpfs: their pages count against the job's memory limit). */
  tmpfsBytes?: number;
  /** Whether bwrap reads a seccomp filter from SECCOMP_FD (jobs do; the builder's smoke tests not). */
  seccomp?: boolean;
  uid: number;
  gid: number;
  /** `--env K=V` of the caller; wins over the runtime's environment. */
  env: Record<string, string>;
  /** What runs inside the sandbox. */
  argv: string[];
}

/** The slice of runtime.yml the sandbox uses. */
export type SandboxRuntime = Pick<RuntimeYml, 'mounts' | 'environment'>;

export interface SandboxMount {
  /** `data`: a read-only file whose contents bwrap reads from `fd` (RESOLV_CONF_FD by default). */
  kind: 'ro-bind' | 'ro-bind-try' | 'bind' | 'proc' | 'dev' | 'tmpfs' | 'data';
  /** Host path (binds and files copied in). */
  source?: string;
  target: string;
  /** bwrap's descriptor: the bind's source (--bind-fd) or the data's contents. */
  fd?: number;
  /** The mode of a data file. */
  perms?: string;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const WORK_DIR = '/work';
export const RESOLV_CONF = '/etc/resolv.conf';
/** The fd on which bwrap reads the job's resolv.conf (3 is its status fd, 4 the web launcher's). */
export const RESOLV_CONF_FD = 5;
/** The fd on which bwrap reads the job's seccomp filter (seccomp.ts). */
export const SECCOMP_FD = 6;
/** The fd on which bwrap reads its options (--args): the job's environment never shows on a command line. */
export const ARGS_FD = 7;
/** Legacy mode (no --runtime): the host's system directories, read-only. */
export const LEGACY_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/etc'];

/** A runtime-relative path that stays inside the runtime directory, or a usage error. */
export function insideRuntime(runtimeDir: string, rel: string, what: string): string {
  const abs = path.resolve(runtimeDir, rel);
  const back = path.relative(runtimeDir, abs);
  if (path.isAbsolute(rel) || back === '..' || back.startsWith(`..${path.sep}`)) {
    throw usageError(
      'ERR_JRT_MOUNT_ESCAPE',
      `runtime mount ${what} '${rel}' leaves the runtime directory ${runtimeDir}`,
      'the runtime is damaged or hostile: reinstall it (jrt runtime verify)',
    );
  }
  return abs;
}

function checkTarget(target: string): string {
  if (!path.isAbsolute(target) || target.split('/').includes('..')) {
    throw usageError('ERR_JRT_BAD_MOUNT', `mount target '${target}' must be an absolute path without '..'`);
  }
  return path.normalize(target);
}

function runtimeMounts(mounts: RuntimeMount[], runtimeDir: string): SandboxMount[] {
  const out: SandboxMount[] = [];
  // Parents first, so a mount at /usr/lib64 is not hidden by a later one at /usr.
  const ordered = [...mounts].sort((a, b) => depth(a.target) - depth(b.target));
  for (const m of ordered) {
    const source = insideRuntime(runtimeDir, m.source, 'source');
    const target = checkTarget(m.target);
    // Runtimes are shared by every job: always read-only, whatever `readonly` says.
    if (m.selective && m.selective.length > 0) {
      for (const entry of m.selective) {
        const src = insideRuntime(source, entry, 'selective entry');
        out.push({ kind: 'ro-bind', source: src, target: path.join(target, path.relative(source, src)) });
      }
    } else out.push({ kind: 'ro-bind', source, target });
  }
  return out;
}

/** Targets by which a runtime brings a root of its own: its own libc and loader. */
const OWN_ROOT_TARGETS = new Set(['/', '/usr', '/lib', '/lib64', '/usr/lib']);
/** The host's library directories a host-dependent runtime gets (those that exist: ro-bind-try). */
export const HOST_LIB_DIRS = ['/lib', '/lib32', '/lib64', '/libx32'];

/**
 * Runtimes of Joblet's first era carry only their own program trees (mounted at /usr/local, /opt,
 * ...) and were linked against the host's libraries. One whose mounts bring no root of its own (no
 * target among OWN_ROOT_TARGETS) gets the host's /lib* read-only, first, so that a mount of its
 * own below them still wins; every runtime jrt builds mounts /usr and /lib and gets nothing of the host.
 */
function hostLibsFor(mounts: RuntimeMount[]): SandboxMount[] {
  if (mounts.some((m) => OWN_ROOT_TARGETS.has(path.normalize(m.target).replace(/(.)\/$/, '$1')))) return [];
  return HOST_LIB_DIRS.map((d) => ({ kind: 'ro-bind-try', source: d, target: d }));
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

/** Every mount of the job, in the order bwrap applies them. `runtime` undefined is legacy mode. */
export function planMounts(
  runtime: SandboxRuntime | undefined,
  runtimeDir: string | undefined,
  job: SandboxJob,
): SandboxMount[] {
  const mounts: SandboxMount[] =
    runtime && runtimeDir
      ? [...hostLibsFor(runtime.mounts ?? []), ...runtimeMounts(runtime.mounts ?? [], runtimeDir)]
      : LEGACY_DIRS.map((d) => ({ kind: 'ro-bind-try', source: d, target: d }));
  mounts.push(
    { kind: 'proc', target: '/proc' },
    { kind: 'dev', target: '/dev' },
    { kind: 'tmpfs', target: '/dev/shm' },
    { kind: 'tmpfs', target: '/tmp' },
  );
  mounts.push({ kind: 'bind', source: job.workdir, target: WORK_DIR, fd: job.workdirFd });
  for (const v of job.volumes)
    mounts.push({ kind: 'bind', source: v.hostPath, target: checkTarget(v.target), fd: v.fd });
  for (const f of job.files) {
    const target = checkTarget(f.target);
    if (f.fd === undefined) mounts.push({ kind: 'ro-bind', source: f.hostPath, target });
    else mounts.push({ kind: 'data', source: f.hostPath, target, fd: f.fd, perms: f.perms ?? '0444' });
  }
  if (job.resolvConf !== undefined) mounts.push({ kind: 'data', target: RESOLV_CONF });
  if (job.etcFiles && job.etcDir) {
    for (const name of Object.keys(job.etcFiles))
      mounts.push({ kind: 'ro-bind', source: `${job.etcDir}/${name}`, target: `/etc/${name}` });
  }
  return mounts;
}

/** The job's whole environment: a default PATH (with PATH_PREPEND), HOME, the runtime's, then --env. */
export function jobEnvironment(runtimeEnv: Record<string, string>, userEnv: Record<string, string>) {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOME: WORK_DIR };
  for (const [k, v] of Object.entries(runtimeEnv)) {
    if (k === 'PATH_PREPEND') env.PATH = `${v}:${env.PATH}`;
    else env[k] = String(v);
  }
  return { ...env, ...userEnv };
}

/** bwrap's argv (without "bwrap") for a job. */
export function planSandbox(
  runtime: SandboxRuntime | undefined,
  runtimeDir: string | undefined,
  job: SandboxJob,
): string[] {
  // --disable-userns: no user namespaces inside, and with them none of the kernel surface (mounts,
  // netfilter, ...) an unprivileged user reaches by becoming root in a namespace of its own.
  const args = ['--unshare-all', '--unshare-user', '--disable-userns'];
  // `host` keeps the host's network namespace; `web` keeps the one its launcher made, which
  // slirp4netns connects to the outside (see web-network.ts). `none`: a new one, loopback only.
  if (NETWORK_MODES[job.network].shareNet) args.push('--share-net');
  args.push('--uid', String(job.uid), '--gid', String(job.gid), '--hostname', 'jrt');
  args.push('--cap-drop', 'ALL', '--new-session', '--die-with-parent');
  if (job.seccomp) args.push('--seccomp', String(SECCOMP_FD));
  for (const m of planMounts(runtime, runtimeDir, job)) {
    if (m.kind === 'proc' || m.kind === 'dev') args.push(`--${m.kind}`, m.target);
    else if (m.kind === 'tmpfs') {
      if (job.tmpfsBytes) args.push('--size', String(job.tmpfsBytes));
      args.push('--perms', '1777', '--tmpfs', m.target);
    } else if (m.kind === 'data')
      args.push('--perms', m.perms ?? '0644', '--ro-bind-data', String(m.fd ?? RESOLV_CONF_FD), m.target);
    else if (m.fd !== undefined) args.push(`--${m.kind}-fd`, String(m.fd), m.target);
    else args.push(`--${m.kind}`, m.source as string, m.target);
  }
  args.push('--chdir', WORK_DIR, '--clearenv');
  for (const [k, v] of Object.entries(jobEnvironment(runtime?.environment ?? {}, job.env))) {
    args.push('--setenv', k, v);
  }
  args.push('--', ...job.argv);
  return args;
}

/**
 * bwrap's argv with every option moved to ARGS_FD (NUL-separated, bwrap's --args): what `ps`
 * shows of bwrap is then `--args 7 -- COMMAND...`, never the values of the job's environment
 * (`--env DB_PASSWORD=...`). The job's own command line is the job's.
 */
export function optionsViaFd(bwrapArgs: string[]): { argv: string[]; options: string } {
  const end = bwrapArgs.indexOf('--');
  const options = end === -1 ? bwrapArgs : bwrapArgs.slice(0, end);
  const rest = end === -1 ? [] : bwrapArgs.slice(end);
  return { argv: ['--args', String(ARGS_FD), ...rest], options: options.map((a) => `${a}\0`).join('') };
}
