/**
 * One job from request to record: plan the sandbox, create the cgroup, run, tell why it ended, clean
 * up — always, whatever happened.
 */
import { mkdirSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { EXIT, failure, JrtError } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { printable } from '../core/printable.js';
import { describeBlocker, searchBlocker } from '../core/reach.js';
import { jobsRotateBytes } from '../disk/settings.js';
import {
  cgroupOutcome,
  createJobCgroup,
  destroyJobCgroup,
  needsCgroup,
  setMemoryLimit,
  signalCgroup,
  sweepStaleJobCgroups,
} from './cgroups.js';
import { formatAllowNet } from './egress.js';
import { planJobEgress } from './egress-setup.js';
import { attachJobFds, idmapHelperPath } from './idmap.js';
import { claimJobUid, type JobUid, sweepStaleUidClaims } from './job-uid.js';
import {
  appendJobRecord,
  forgetRunning,
  isJobLive,
  type JobReason,
  type JobRecord,
  newJobId,
  pruneStaleRecords,
  recordRunning,
} from './jobs.js';
import { formatBytes } from './limits.js';
import { lookupCommand } from './lookup.js';
import { NETWORK_MODES } from './network-modes.js';
import { killSandbox, parseSandboxInit, type SandboxInit, signalSandbox } from './pidns.js';
import { jobEnvironment, optionsViaFd, planMounts, planSandbox, type SandboxJob, WORK_DIR } from './plan.js';
import { closePrepared, type ExecRequest, type Prepared, prepare } from './prepare.js';
import { JOB_SECCOMP_FILTER } from './seccomp.js';
import { cgroupHelperArgs, type SpawnedJob, sandboxCommand, spawnJob } from './spawn.js';
import { startWebNetwork, type WebNetwork, webLauncher } from './web-network.js';

export type { ExecRequest } from './prepare.js';

export interface JobResult {
  exitStatus: number;
  reason: JobReason;
  /** A line for stderr explaining an abnormal end. */
  message: string | undefined;
  record: JobRecord;
}

/** How long a job may take to exit after SIGTERM at its --timeout before it gets SIGKILL. */
export const TIMEOUT_GRACE_MS = 3000;
/** After the grace, how long the watchdog (spawn.ts) leaves jrt to SIGKILL the job itself. */
const WATCHDOG_SLACK_MS = 1000;

/** Run one job. Usage errors are thrown before anything runs; afterwards the job always gets a record. */
export async function runJob(req: ExecRequest, paths: JrtPaths, env: NodeJS.ProcessEnv): Promise<JobResult> {
  const trace = traceTo(env);
  const id = newJobId();
  const start = new Date();
  // The cgroup needs only the limits: it is made while the runtime is resolved and the command looked
  // up, and removed again if those end in a usage error.
  // Every job gets cgroups: they carry its limits, account its peak memory and let jrt kill every
  // process of it. Only a job that asked for no limit may run without them (a host where jrt cannot
  // create cgroups); it is then reached through its pid namespace and its record has no peak memory.
  const cgroup = createJobCgroup(id, req.limits, {
    parent: env.JRT_CGROUP_PARENT || undefined,
    note: noteTo(env),
  }).catch((e) => {
    if (needsCgroup(req.limits)) throw e;
    return undefined;
  });
  cgroup.catch(() => {}); // its failure is reported below, after prepare's (a usage error wins)
  let p: Prepared;
  let bwrapArgs: string[];
  let jobUid: JobUid | undefined;
  let user: { uid: number; gid: number };
  let launch: { job: SandboxJob; inherit: Map<number, number>; helperArgs: string[] };
  let opened: Prepared | undefined;
  let egress: string | undefined;
  try {
    // A uid of the job's own, unless --user named one.
    jobUid = req.uid === undefined ? claimJobUid(paths.state) : undefined;
    user = jobUid ? { uid: jobUid.uid, gid: jobUid.uid } : { uid: req.uid ?? 0, gid: req.gid ?? 0 };
    p = await prepare({ ...req, ...user }, paths);
    opened = p;
    for (const w of p.warnings) process.stderr.write(`${printable(`jrt: warning: ${w}`)}\n`);
    trace('prepared');
    launch = attachJobFds(p.job, p.dirs, p.files, user, mountDirOf(paths));
    p = { ...p, job: launch.job };
    bwrapArgs = await checkedSandbox(p);
    trace('looked up command');
    // Only web jobs pay for it: nft's presence, the host's addresses, --allow-net names resolved.
    if (NETWORK_MODES[req.network].egressPolicy) {
      egress = await planJobEgress(req.allowNet);
      trace('planned egress');
    }
  } catch (e) {
    if (opened) closePrepared(opened);
    jobUid?.release();
    await cgroup.then(
      (cg) => cg && destroyJobCgroup(cg),
      () => {},
    );
    throw e;
  }
  // What the job stores in: its record names them, so `jrt volume remove` refuses them meanwhile.
  const storage = {
    ...(req.volumes.length > 0 ? { volumes: req.volumes.map((v) => v.name) } : {}),
    ...(req.packageCache && p.runtime ? { packageCache: p.runtimeName } : {}),
  };
  const cg = await cgroup;
  const limits = p.limits;
  if (cg && limits.memoryBytes !== undefined && limits.memoryBytes !== req.limits.memoryBytes) {
    try {
      setMemoryLimit(cg, limits.memoryBytes);
    } catch (e) {
      await destroyJobCgroup(cg);
      throw e;
    }
  }
  trace('cgroup created');
  let reason: JobReason = 'exit';
  let error: JrtError | undefined;
  let exitStatus: number = EXIT.execFailed;
  let signalName: string | undefined;
  let peak: number | undefined;
  let message: string | undefined;
  let timedOut = false;
  let signalled: NodeJS.Signals | undefined;
  const forwarded: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  let childPid = -1;
  let child: SpawnedJob | undefined;
  let housekeeping: Promise<void> = Promise.resolve();
  let network: WebNetwork | undefined;
  const sandbox = () => (child ? parseSandboxInit(child.status()) : undefined);
  /** Signal every process of the job but bwrap's monitor (it keeps reporting status); returns how many. */
  const signalJob = async (sig: NodeJS.Signals): Promise<number> => {
    if (cg) return signalCgroup(cg, sig, childPid);
    const init = sandbox();
    return init ? signalSandbox(init, sig) : 0;
  };
  const forward = (sig: NodeJS.Signals) => {
    signalled ??= sig;
    void signalJob(sig).then((n) => {
      // Not in the cgroup (the helper is still joining) or the namespace (bwrap is still making it)
      // yet: signal bwrap itself, whose death takes the job with it (--die-with-parent).
      if (n === 0 && childPid > 0) {
        try {
          process.kill(childPid, sig);
        } catch {}
      }
    });
  };
  for (const s of forwarded) process.on(s, forward);
  let timer: { current: NodeJS.Timeout } | undefined;
  try {
    const cgroupLaunch = cg && {
      procsFiles: cg.procsFiles,
      allProcs: path.join(cg.tasksDir, 'cgroup.procs'),
      ...(limits.timeoutMs !== undefined
        ? { killAfterSeconds: (limits.timeoutMs + TIMEOUT_GRACE_MS + WATCHDOG_SLACK_MS) / 1000 }
        : {}),
    };
    const helper = [idmapHelperPath(), ...cgroupHelperArgs(cgroupLaunch), ...launch.helperArgs, '--'];
    const { argv: bwrapArgv, options } = optionsViaFd(bwrapArgs);
    const command = sandboxCommand(bwrapArgv, helper);
    const web = NETWORK_MODES[req.network].launcher;
    child = spawnJob(web ? webLauncher(command) : command, {
      control: web,
      data: p.job.resolvConf,
      seccomp: p.job.seccomp ? JOB_SECCOMP_FILTER : undefined,
      options,
      inherit: launch.inherit,
    });
    // The child has its own copies: jrt holds nothing of the job's directories from here on.
    closePrepared(p);
    childPid = child.pid;
    trace('spawned');
    if (web) {
      const launcher = child;
      network = await startWebNetwork(launcher.pid, launcher.control as Duplex, egress as string).catch(
        async (e) => {
          launcher.control?.destroy(); // its `read` ends: the launcher exits, nothing of the job ran
          await launcher.exited.catch(() => {});
          // Stopped by a signal meanwhile (which killed the launcher): that is how the job ended.
          if (signalled) return undefined;
          throw e;
        },
      );
      trace('network connected');
    }
    await recordRunning(paths.state, {
      id,
      pid: child.pid,
      runtime: p.runtimeName,
      ...(p.runtimeDir ? { runtimeDir: p.runtimeDir } : {}),
      ...storage,
      start: start.toISOString(),
    });
    trace('recorded as running');
    // Best effort, never fatal, and off the start path: leftovers of jobs whose jrt was SIGKILLed.
    housekeeping = (
      cg ? sweepStaleJobCgroups(cg, (other) => isJobLive(paths.state, other)) : Promise.resolve()
    )
      .then(() => pruneStaleRecords(paths.state))
      .then(() => sweepStaleUidClaims(paths.state))
      .catch(() => {});
    if (limits.timeoutMs !== undefined) {
      // Like timeout(1): SIGTERM first, so the job may flush and exit; SIGKILL after a grace period.
      timer = setLongTimeout(() => {
        timedOut = true;
        void signalJob('SIGTERM');
        (timer as { current: NodeJS.Timeout }).current = setTimeout(() => {
          if (cg) void signalCgroup(cg, 'SIGKILL');
          else {
            const init = sandbox();
            if (init) killSandbox(init);
            else if (childPid > 0) {
              try {
                process.kill(childPid, 'SIGKILL');
              } catch {}
            }
          }
        }, TIMEOUT_GRACE_MS);
      }, limits.timeoutMs);
    }
    const { code, signal, execed } = await child.exited;
    trace('job exited');
    // Past the deadline without jrt's timer having fired: jrt was stopped, the watchdog killed the job.
    const limit = limits.timeoutMs;
    if (limit !== undefined && Date.now() - start.getTime() >= limit + TIMEOUT_GRACE_MS) timedOut = true;
    exitStatus = code ?? 128 + signalNumber(signal);
    // Stopped before the job ran (while its sandbox or network was being made): the signal's status.
    if (!execed && signalled) exitStatus = 128 + signalNumber(signalled);
    const outcome = cg ? await cgroupOutcome(cg) : NO_CGROUP_OUTCOME;
    // The OOM killer may pick bwrap's monitor (a full tmpfs belongs to no process): then bwrap
    // reports no exit-code, yet the sandbox was made and the job ran out of memory.
    if (!execed && !timedOut && !signalled && !outcome.oomKilled)
      throw sandboxError(p, user.uid, user.gid, exitStatus);
    if (exitStatus > 128) signalName = signalByNumber(exitStatus - 128);
    peak = outcome.peakMemoryBytes;
    if (timedOut) {
      reason = 'timeout';
      exitStatus = 124;
      message = `jrt: job killed: timeout after ${limits.timeoutMs} ms`;
    } else if (outcome.oomKilled) {
      reason = 'oom';
      exitStatus = 137;
      message =
        limits.memoryBytes === undefined
          ? 'jrt: job killed: the host ran out of memory (the job had --memory unlimited)'
          : `jrt: job killed: out of memory (limit ${formatBytes(limits.memoryBytes)}, /tmp and /dev/shm included)`;
    } else if (outcome.pidsLimitHit) {
      reason = 'pids';
      message = `jrt: job hit its process limit (--pids ${limits.pids}); it exited with status ${exitStatus}`;
    } else if (exitStatus > 128 && signalName) {
      reason = 'signal';
      message = signalled ? undefined : `jrt: job killed by ${signalName}`;
    }
  } catch (e) {
    reason = 'error';
    exitStatus = EXIT.execFailed;
    error =
      e instanceof JrtError ? e : failure('ERR_JRT_SPAWN', `cannot start the job: ${(e as Error).message}`);
  } finally {
    if (timer) clearTimeout(timer.current);
    for (const s of forwarded) process.off(s, forward);
    closePrepared(p);
  }
  const record: JobRecord = {
    id,
    start: start.toISOString(),
    runtime: p.runtimeName,
    ...(p.runtimeDir ? { runtimeDir: p.runtimeDir } : {}),
    ...storage,
    argv: p.job.argv,
    limits: {
      ...limits,
      network: req.network,
      ...(req.allowNet.length > 0 ? { allowNet: req.allowNet.map(formatAllowNet) } : {}),
      uid: user.uid,
      gid: user.gid,
    },
    exitStatus,
    reason,
    ...(signalName ? { signal: signalName } : {}),
    ...(peak !== undefined ? { peakMemoryBytes: peak } : {}),
    durationMs: Date.now() - start.getTime(),
  };
  // Independent of each other: removing the cgroup, the running-job record, and logging the job.
  await network?.stop();
  const [destroyed, forgotten, appended] = await Promise.allSettled([
    cg ? destroyJobCgroup(cg) : killSandboxOf(sandbox()),
    forgetRunning(paths.state, id),
    appendJobRecord(paths.log, record, jobsRotateBytes(env)),
    housekeeping,
  ]);
  // Every process of the job is gone with its cgroup (or its pid namespace): the uid is free again.
  jobUid?.release();
  trace('cleaned up and recorded');
  for (const r of [destroyed, forgotten, appended]) if (r.status === 'rejected') throw r.reason;
  if (error) throw error;
  return { exitStatus, reason, message, record };
}

/** Node's timers hold at most 2^31 - 1 ms (a longer one fires at once): longer ones are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;
function setLongTimeout(fn: () => void, ms: number): { current: NodeJS.Timeout } {
  const handle = { current: setTimeout(() => {}, 0) };
  const end = Date.now() + ms;
  const arm = () => {
    const left = end - Date.now();
    handle.current = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  clearTimeout(handle.current);
  arm();
  return handle;
}

const NO_CGROUP_OUTCOME = { oomKilled: false, pidsLimitHit: false, peakMemoryBytes: undefined };

/** Whatever may be left of a job without cgroup: its namespace goes with its init. */
async function killSandboxOf(init: SandboxInit | undefined): Promise<void> {
  if (init) killSandbox(init);
}

/**
 * Why bwrap could not set the sandbox up. Most often a mount source the job user cannot reach
 * (bwrap opens them as that user): named with the directory in the way. Diagnosed after the fact,
 * not checked before, so what the permission bits do not show (ACLs) never refuses a job.
 */
function sandboxError(p: Prepared, uid: number, gid: number, status: number): JrtError {
  for (const m of planMounts(p.runtime, p.runtimeDir, p.job)) {
    // What comes by descriptor (the working directory, volumes, job files) is reached by jrt, as root.
    const blocker = m.source && m.fd === undefined ? searchBlocker(m.source, uid, gid) : undefined;
    if (!blocker) continue;
    return failure(
      'ERR_JRT_UNREACHABLE',
      `the job runs as uid ${uid}, who cannot reach ${m.source} (mounted at ${m.target}): ${describeBlocker(blocker)} does not let it pass`,
      {
        hint: 'a runtime is read by every job uid: its directory and each parent must let others enter (0755; jrt install makes them so)',
      },
    );
  }
  return failure(
    'ERR_JRT_SANDBOX',
    `the sandbox could not be set up (bwrap exited ${status}; its message is above)`,
  );
}

/** Where the idmap helper mounts the job's directories, in a mount namespace of its own (empty on the host). */
function mountDirOf(paths: JrtPaths): string {
  const dir = path.join(paths.state, 'mnt');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

/** bwrap's argv for the prepared job, once its command is known to exist and be executable inside. */
async function checkedSandbox(p: Prepared): Promise<string[]> {
  const mounts = planMounts(p.runtime, p.runtimeDir, p.job);
  const jobEnv = jobEnvironment(p.runtime?.environment ?? {}, p.job.env);
  const command = p.job.argv[0] as string;
  const found = await lookupCommand(mounts, command, jobEnv.PATH ?? '', WORK_DIR);
  if ('missing' in found) {
    throw new JrtError('ERR_JRT_COMMAND_NOT_FOUND', `${command}: command not found in the job's sandbox`, {
      exitCode: EXIT.notFound,
      hint: p.runtime ? `PATH inside ${p.runtimeName} is ${jobEnv.PATH}` : undefined,
    });
  }
  if ('notExecutable' in found) {
    throw new JrtError('ERR_JRT_NOT_EXECUTABLE', `${found.notExecutable}: not executable`, {
      exitCode: EXIT.notExecutable,
    });
  }
  return planSandbox(p.runtime, p.runtimeDir, p.job);
}

/** JRT_EXEC_TRACE=1: the time of each phase on stderr, to see where a job's start-up goes. */
function traceTo(env: NodeJS.ProcessEnv): (what: string) => void {
  if (!env.JRT_EXEC_TRACE) return () => {};
  let last = performance.now();
  process.stderr.write(`jrt-trace: ${performance.now().toFixed(1)} ms since node started\n`);
  return (what) => {
    const now = performance.now();
    process.stderr.write(`jrt-trace: ${what} +${(now - last).toFixed(1)} ms\n`);
    last = now;
  };
}

/** JRT_TRACE=1: what jrt decided on this host and why (where the job's cgroup went), on stderr. */
function noteTo(env: NodeJS.ProcessEnv): (line: string) => void {
  return env.JRT_TRACE ? (line) => process.stderr.write(`jrt-trace: ${line}\n`) : () => {};
}

function signalNumber(name: NodeJS.Signals | null): number {
  return (name && osConstants.signals[name]) || 0;
}

function signalByNumber(n: number): string | undefined {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
}
