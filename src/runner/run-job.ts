/**
 * One job from request to record: resolve the runtime, plan the sandbox, create the cgroup, run,
 * tell why it ended, clean up — always, whatever happened.
 */
import { chown, mkdir, realpath, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { EXIT, failure, JrtError, usageError } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import type { RuntimeYml } from '../core/runtime-format.js';
import {
  cgroupOutcome,
  createJobCgroup,
  destroyJobCgroup,
  signalCgroup,
  sweepStaleJobCgroups,
} from './cgroups.js';
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
import { formatBytes, type JobLimits, parseSize } from './limits.js';
import { lookupCommand } from './lookup.js';
import {
  insideRuntime,
  jobEnvironment,
  type NetworkMode,
  planMounts,
  planSandbox,
  type SandboxJob,
  WORK_DIR,
} from './plan.js';
import { listInstalled, readRuntimeDescription, resolveRuntimeSpec } from './resolve.js';
import { sandboxCommand, spawnInCgroup } from './spawn.js';

export interface ExecRequest {
  /** Undefined: legacy mode on the host's system directories. */
  runtimeSpec: string | undefined;
  /** Host directory bound at /work. */
  workdir: string;
  /** A job file run by the runtime's entrypoint for its extension, with `args`. */
  file: string | undefined;
  /** The command and its arguments (after `--`); used when there is no file. */
  args: string[];
  env: Record<string, string>;
  volumes: { name: string; target: string }[];
  packageCache: boolean;
  network: NetworkMode;
  uid: number;
  gid: number;
  limits: JobLimits;
}

export interface JobResult {
  exitStatus: number;
  reason: JobReason;
  /** A line for stderr explaining an abnormal end. */
  message: string | undefined;
  record: JobRecord;
}

/** How long a job may take to exit after SIGTERM at its --timeout before it gets SIGKILL. */
export const TIMEOUT_GRACE_MS = 3000;

/** Entrypoints of legacy mode, where no runtime.json says how to run a file. */
const HOST_ENTRYPOINTS: Record<string, string[]> = {
  '.py': ['python3'],
  '.js': ['node'],
  '.java': ['java'],
  '.sh': ['sh'],
};

/** Package-manager cache variables pointed at the cache volume, mounted at /cache. */
const CACHE_ENV: Record<string, Record<string, string>> = {
  pip: { PIP_CACHE_DIR: '/cache' },
  npm: { npm_config_cache: '/cache' },
  maven: { MAVEN_OPTS: '-Dmaven.repo.local=/cache/repository' },
};

/** Resolve every mount source with realpath and refuse one that leaves the runtime directory. */
export async function resolveRuntimeMounts(runtime: RuntimeYml, runtimeDir: string): Promise<RuntimeYml> {
  const mounts = [];
  for (const m of runtime.mounts ?? []) {
    const lexical = insideRuntime(runtimeDir, m.source, 'source');
    const real = await realpath(lexical).catch(() => {
      throw failure(
        'ERR_JRT_MOUNT_MISSING',
        `runtime mount source '${m.source}' does not exist in ${runtimeDir}`,
        {
          hint: 'the runtime is damaged: run jrt runtime verify',
        },
      );
    });
    const rel = path.relative(runtimeDir, real);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw usageError(
        'ERR_JRT_MOUNT_ESCAPE',
        `runtime mount source '${m.source}' resolves to ${real}, outside the runtime directory ${runtimeDir}`,
        'the runtime is damaged or hostile: reinstall it (jrt runtime verify)',
      );
    }
    for (const entry of m.selective ?? []) {
      const e = await realpath(insideRuntime(real, entry, 'selective entry')).catch(() => undefined);
      if (e !== undefined)
        insideRuntime(runtimeDir, path.relative(runtimeDir, e), `selective entry ${entry}`);
    }
    mounts.push({ ...m, source: rel || '.' });
  }
  return { ...runtime, mounts };
}

function checkMinMemory(runtime: RuntimeYml, limits: JobLimits): void {
  const min = runtime.requirements?.min_memory;
  if (!min || limits.memoryBytes === undefined) return;
  let minBytes: number;
  try {
    minBytes = parseSize(String(min), 'min_memory');
  } catch {
    return;
  }
  if (limits.memoryBytes < minBytes) {
    throw usageError(
      'ERR_JRT_MEMORY_TOO_LOW',
      `--memory ${formatBytes(limits.memoryBytes)} is below ${runtime.name}'s min_memory ${min}`,
      `give the job at least --memory ${min}`,
    );
  }
}

/** `<state>/volumes/NAME`, owned by the job user (the only one who may enter it), created on first use. */
async function volumeDir(state: string, name: string, owner: { uid: number; gid: number }): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw usageError('ERR_JRT_BAD_VOLUME', `volume name '${name}' may hold only letters, digits and _ . -`);
  }
  // The parents stay traversable: the sandbox is set up as the job user, not as root.
  await mkdir(path.join(state, 'volumes'), { recursive: true, mode: 0o755 });
  const dir = path.join(state, 'volumes', name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chown(dir, owner.uid, owner.gid);
  return dir;
}

interface Prepared {
  runtimeName: string;
  runtimeDir: string | undefined;
  runtime: RuntimeYml | undefined;
  job: SandboxJob;
}

async function prepare(req: ExecRequest, paths: JrtPaths): Promise<Prepared> {
  let runtime: RuntimeYml | undefined;
  let runtimeDir: string | undefined;
  if (req.runtimeSpec !== undefined) {
    const chosen = resolveRuntimeSpec(req.runtimeSpec, await listInstalled(paths.root));
    // Once, at job start: an install switching the symlink later does not move this job.
    runtimeDir = await realpath(chosen.dir);
    runtime = await resolveRuntimeMounts(await readRuntimeDescription(runtimeDir), runtimeDir);
    checkMinMemory(runtime, req.limits);
  }
  const workdir = await realpath(req.workdir).catch(() => {
    throw usageError('ERR_JRT_BAD_WORKDIR', `working directory ${req.workdir} does not exist`);
  });
  if (!(await stat(workdir)).isDirectory())
    throw usageError('ERR_JRT_BAD_WORKDIR', `${workdir} is not a directory`);
  const job: SandboxJob = {
    workdir,
    volumes: [],
    files: [],
    network: req.network,
    uid: req.uid,
    gid: req.gid,
    env: { ...req.env },
    argv: [],
  };
  for (const v of req.volumes) {
    job.volumes.push({ hostPath: await volumeDir(paths.state, v.name, req), target: v.target });
  }
  if (req.packageCache) {
    const pm = runtime?.package_manager;
    if (!pm?.cache_volume) {
      throw usageError(
        'ERR_JRT_NO_CACHE_VOLUME',
        `--package-cache: the runtime declares no package_manager.cache_volume`,
      );
    }
    job.volumes.push({ hostPath: await volumeDir(paths.state, pm.cache_volume, req), target: '/cache' });
    job.env = { JRT_CACHE_DIR: '/cache', ...(CACHE_ENV[pm.type] ?? {}), ...job.env };
  }
  if (req.file !== undefined) {
    const host = await realpath(req.file).catch(() => {
      throw usageError('ERR_JRT_JOB_FILE', `job file ${req.file} does not exist`);
    });
    const rel = path.relative(workdir, host);
    let inside: string;
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      inside = path.join('/job', path.basename(host));
      job.files.push({ hostPath: host, target: inside });
    } else inside = path.join(WORK_DIR, rel);
    const entry = (runtime?.entrypoints ?? HOST_ENTRYPOINTS)[path.extname(host)];
    job.argv = [...(entry ?? []), inside, ...req.args];
  } else job.argv = [...req.args];
  return {
    runtimeName: runtime?.name ?? 'host',
    runtimeDir,
    runtime,
    job,
  };
}

/** Run one job. Usage errors are thrown before anything runs; afterwards the job always gets a record. */
export async function runJob(req: ExecRequest, paths: JrtPaths, env: NodeJS.ProcessEnv): Promise<JobResult> {
  const trace = traceTo(env);
  const p = await prepare(req, paths);
  trace('prepared');
  const bwrapArgs = planSandbox(p.runtime, p.runtimeDir, p.job);
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

  trace('looked up command');
  const id = newJobId();
  const start = new Date();
  const cg = await createJobCgroup(id, req.limits, { parent: env.JRT_CGROUP_PARENT || undefined });
  trace('cgroup created');
  // Best effort, never fatal: leftovers of jobs whose jrt was SIGKILLed.
  await sweepStaleJobCgroups(cg, (other) => isJobLive(paths.state, other)).catch(() => []);
  await pruneStaleRecords(paths.state).catch(() => {});
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
  const forward = (sig: NodeJS.Signals) => {
    signalled ??= sig;
    void signalCgroup(cg, sig, childPid).then((n) => {
      // Not in the cgroup yet (the shell is still joining): signal the sandbox's root, whose death
      // takes the job with it (--die-with-parent).
      if (n === 0 && childPid > 0) {
        try {
          process.kill(childPid, sig);
        } catch {}
      }
    });
  };
  for (const s of forwarded) process.on(s, forward);
  let timer: NodeJS.Timeout | undefined;
  try {
    const child = spawnInCgroup(cg.procsFiles, sandboxCommand(bwrapArgs, req.uid, req.gid));
    childPid = child.pid;
    await recordRunning(paths.state, {
      id,
      pid: child.pid,
      runtime: p.runtimeName,
      ...(p.runtimeDir ? { runtimeDir: p.runtimeDir } : {}),
      start: start.toISOString(),
    });
    if (req.limits.timeoutMs !== undefined) {
      // Like timeout(1): SIGTERM first, so the job may flush and exit; SIGKILL after a grace period.
      timer = setTimeout(() => {
        timedOut = true;
        void signalCgroup(cg, 'SIGTERM', childPid);
        timer = setTimeout(() => void signalCgroup(cg, 'SIGKILL'), TIMEOUT_GRACE_MS);
      }, req.limits.timeoutMs);
    }
    trace('spawned');
    const { code, signal, execed } = await child.exited;
    trace('job exited');
    exitStatus = code ?? 128 + signalNumber(signal);
    if (!execed && !timedOut && !signalled) {
      throw failure(
        'ERR_JRT_SANDBOX',
        `the sandbox could not be set up (bwrap exited ${exitStatus}; its message is above)`,
        {
          hint: `the job runs as uid ${req.uid}: every mounted path (runtime, working directory, volumes) must be reachable by it`,
        },
      );
    }
    if (exitStatus > 128) signalName = signalByNumber(exitStatus - 128);
    const outcome = await cgroupOutcome(cg);
    peak = outcome.peakMemoryBytes;
    if (timedOut) {
      reason = 'timeout';
      exitStatus = 124;
      message = `jrt: job killed: timeout after ${req.limits.timeoutMs} ms`;
    } else if (outcome.oomKilled) {
      reason = 'oom';
      exitStatus = 137;
      message = `jrt: job killed: out of memory (limit ${formatBytes(req.limits.memoryBytes ?? 0)})`;
    } else if (outcome.pidsLimitHit) {
      reason = 'pids';
      message = `jrt: job hit its process limit (--pids ${req.limits.pids}); it exited with status ${exitStatus}`;
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
    if (timer) clearTimeout(timer);
    for (const s of forwarded) process.off(s, forward);
    await destroyJobCgroup(cg);
    await forgetRunning(paths.state, id);
    trace('cleaned up');
  }
  const record: JobRecord = {
    id,
    start: start.toISOString(),
    runtime: p.runtimeName,
    ...(p.runtimeDir ? { runtimeDir: p.runtimeDir } : {}),
    argv: p.job.argv,
    limits: { ...req.limits, network: req.network, uid: req.uid, gid: req.gid },
    exitStatus,
    reason,
    ...(signalName ? { signal: signalName } : {}),
    ...(peak !== undefined ? { peakMemoryBytes: peak } : {}),
    durationMs: Date.now() - start.getTime(),
  };
  await appendJobRecord(paths.log, record);
  trace('recorded');
  if (error) throw error;
  return { exitStatus, reason, message, record };
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

function signalNumber(name: NodeJS.Signals | null): number {
  return (name && osConstants.signals[name]) || 0;
}

function signalByNumber(n: number): string | undefined {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
}
