/**
 * Reaching every process of a job that has no cgroup (no --memory, --pids, --cpus or --cpuset): all of
 * them live in the sandbox's pid namespace, whose init is bwrap's child. When that init dies the
 * kernel kills everything else in the namespace; bwrap's --die-with-parent kills the init when bwrap
 * dies. No process of the job can leave the namespace.
 */
import { readdirSync, readlinkSync } from 'node:fs';

export interface SandboxInit {
  /** The init's pid as the host sees it (bwrap's `child-pid`). */
  pid: number;
  /** The inode of its pid namespace (bwrap's `pid-namespace`), to tell it from a reused pid. */
  pidNs: number;
}

/** The sandbox's init from the text bwrap wrote to its --json-status-fd so far. Pure. */
export function parseSandboxInit(status: string): SandboxInit | undefined {
  const pid = /"child-pid":\s*(\d+)/.exec(status)?.[1];
  const pidNs = /"pid-namespace":\s*(\d+)/.exec(status)?.[1];
  return pid && pidNs ? { pid: Number(pid), pidNs: Number(pidNs) } : undefined;
}

function inNamespace(pid: number | string, nsLink: string, proc: string): boolean {
  try {
    return readlinkSync(`${proc}/${pid}/ns/pid`) === nsLink;
  } catch {
    return false;
  }
}

/** Every live process in the sandbox's pid namespace, its init included. */
export function pidsInSandbox(init: SandboxInit, proc = '/proc'): number[] {
  const link = `pid:[${init.pidNs}]`;
  if (!inNamespace(init.pid, link, proc)) return [];
  return readdirSync(proc)
    .filter((e) => /^\d+$/.test(e) && inNamespace(e, link, proc))
    .map(Number);
}

/**
 * Send `signal` to every process of the sandbox; returns how many. The init ignores signals it has no
 * handler for (a namespace init's rule), so the job's own processes decide what SIGTERM does.
 */
export function signalSandbox(init: SandboxInit, signal: NodeJS.Signals, proc = '/proc'): number {
  let sent = 0;
  for (const pid of pidsInSandbox(init, proc)) {
    try {
      process.kill(pid, signal);
      sent++;
    } catch {}
  }
  return sent;
}

/** SIGKILL the init if it is still that namespace's init: the kernel then kills the rest. */
export function killSandbox(init: SandboxInit, proc = '/proc'): void {
  if (!inNamespace(init.pid, `pid:[${init.pidNs}]`, proc)) return;
  try {
    process.kill(init.pid, 'SIGKILL');
  } catch {}
}
