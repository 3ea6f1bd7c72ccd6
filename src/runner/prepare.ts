/**
 * Everything a job needs decided before it starts: the runtime (resolved once, with realpath), its
 * mounts checked against escapes, the working directory, volumes, the job's argv. Usage errors here
 * mean nothing has run.
 *
 * Paths are resolved with synchronous calls (realpath(3), stat(2)): a job's start waits on each, and
 * the promise versions add a round trip through libuv's thread pool per call for nothing in return.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import type { RuntimeYml } from '../core/runtime-format.js';
import { resolveRuntimeDir } from '../installer/layout.js';
import type { AllowNet } from './egress.js';
import type { HostDirMapping } from './idmap.js';
import { jobEtcFiles } from './job-etc.js';
import { formatBytes, type JobLimits, parseSize } from './limits.js';
import { hostPathOf } from './lookup.js';
import { NETWORK_MODES, type NetworkMode } from './network-modes.js';
import { insideRuntime, planMounts, RESOLV_CONF, type SandboxJob, WORK_DIR } from './plan.js';
import { listInstalled, readRuntimeDescription, resolveRuntimeSpec, sameIdentity } from './resolve.js';
import { SLIRP_DNS } from './web-network.js';
import { openWorkdir } from './workdir.js';

export interface ExecRequest {
  /** Undefined: legacy mode on the host's system directories. */
  runtimeSpec: string | undefined;
  /** `--workdir` as given (relative to `cwd`); undefined: where jrt was started. */
  workdir: string | undefined;
  /** jrt's current directory, and the shell's $PWD (how the user named it). */
  cwd: string;
  pwd?: string;
  /** A job file run by the runtime's entrypoint for its extension, with `args`. */
  file: string | undefined;
  /** The command and its arguments (after `--`); used when there is no file. */
  args: string[];
  env: Record<string, string>;
  volumes: { name: string; target: string }[];
  packageCache: boolean;
  network: NetworkMode;
  /** --user; undefined: a uid of the job's own (job-uid.ts). */
  uid?: number;
  gid?: number;
  /** --allow-net: exceptions to the egress policy of a web job (empty for none and host). */
  allowNet: AllowNet[];
  limits: JobLimits;
}

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

/** realpath(3) of `p`, or what `otherwise` returns (or throws) when it cannot be resolved. */
function realpathOr<T>(p: string, otherwise: () => T): string | T {
  try {
    return realpathSync.native(p);
  } catch {
    return otherwise();
  }
}

/**
 * Resolve every mount source with realpath and refuse one that leaves the runtime directory. A source
 * that does not exist is skipped, with a line in `warnings`, as Joblet skips it: runtime.yml files of
 * its own era name sources their scripts never made.
 */
export async function resolveRuntimeMounts(
  runtime: RuntimeYml,
  runtimeDir: string,
  warnings: string[] = [],
): Promise<RuntimeYml> {
  const mounts = [];
  for (const m of runtime.mounts ?? []) {
    const lexical = insideRuntime(runtimeDir, m.source, 'source');
    const real = realpathOr(lexical, () => undefined);
    if (real === undefined) {
      warnings.push(
        `runtime mount source '${m.source}' does not exist in ${runtimeDir}: skipped (not mounted at ${m.target})`,
      );
      continue;
    }
    const rel = path.relative(runtimeDir, real);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw usageError(
        'ERR_JRT_MOUNT_ESCAPE',
        `runtime mount source '${m.source}' resolves to ${real}, outside the runtime directory ${runtimeDir}`,
        'the runtime is damaged or hostile: reinstall it (jrt runtime verify)',
      );
    }
    for (const entry of m.selective ?? []) {
      const e = realpathOr(insideRuntime(real, entry, 'selective entry'), () => undefined);
      if (e !== undefined)
        insideRuntime(runtimeDir, path.relative(runtimeDir, e), `selective entry ${entry}`);
    }
    mounts.push({ ...m, source: rel || '.' });
  }
  return { ...runtime, mounts };
}

/** Without --memory: the runtime's recommended_memory (at least its min_memory), else the default. */
function defaultMemory(runtime: RuntimeYml, limits: JobLimits): JobLimits {
  if (!limits.memoryDefault) return limits;
  const size = (v: unknown) => {
    try {
      return v ? parseSize(String(v), 'recommended_memory') : 0;
    } catch {
      return 0;
    }
  };
  const req = runtime.requirements;
  const want = Math.max(size(req?.recommended_memory), size(req?.min_memory));
  return want > 0 ? { ...limits, memoryBytes: want } : limits;
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

/** open(2)'s O_PATH (Linux). */
const O_PATH = 0o10000000;

/**
 * `<parent>/NAME`, created on first use (root's, 0700: only jobs, through their idmapped mount,
 * use it), opened once. The parents are jrt's and private: no job names a path in them.
 */
async function openVolume(parent: string, name: string): Promise<{ dir: string; fd: number }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw usageError('ERR_JRT_BAD_VOLUME', `volume name '${name}' may hold only letters, digits and _ . -`);
  }
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = path.join(parent, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { dir, fd: openSync(dir, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW) };
}

/**
 * A job file outside the working directory, opened once to be copied into the sandbox read-only.
 * Named without symlinks and not in a system tree, for the same reasons as the working directory.
 */
function openJobFile(file: string, cwd: string): { path: string; fd: number; perms: string } {
  const named = path.resolve(cwd, file);
  const real = realpathOr(named, () => {
    throw usageError('ERR_JRT_JOB_FILE', `job file ${named} does not exist`);
  });
  if (real !== named) {
    throw usageError(
      'ERR_JRT_JOB_FILE',
      `job file ${named} is reached through a symbolic link (it is ${real})`,
      `name the file itself if you trust it: ${real}`,
    );
  }
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw usageError('ERR_JRT_JOB_FILE', `job file ${real} cannot be opened: ${(e as Error).message}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw usageError('ERR_JRT_JOB_FILE', `job file ${real} is not a regular file`);
  }
  return { path: real, fd, perms: st.mode & 0o111 ? '0555' : '0444' };
}

export interface Prepared {
  runtimeName: string;
  runtimeDir: string | undefined;
  runtime: RuntimeYml | undefined;
  job: SandboxJob;
  /** The request's limits, with the runtime's recommended_memory when --memory was not given. */
  limits: JobLimits;
  /** What jrt let pass but the caller should hear about (a missing mount source, skipped). */
  warnings: string[];
  /** jrt's descriptors the job's directories and files come from: the working directory's first. */
  dirs: HostDirMapping[];
  files: number[];
}

/**
 * Close what prepare opened (once the sandbox has its own), once: the lists are emptied, so a second
 * call cannot close a descriptor number that something else has been given since.
 */
export function closePrepared(p: Pick<Prepared, 'dirs' | 'files'>): void {
  for (const fd of [...p.dirs.splice(0).map((d) => d.fd), ...p.files.splice(0)]) {
    try {
      closeSync(fd);
    } catch {}
  }
}

/**
 * Everything a job needs before its sandbox: the runtime, its mounts, the job's inputs. A runtime
 * that leaves /etc to the job host (as Joblet expects: no mount covers /etc/hosts) gets jrt's
 * /etc/hosts, as Joblet writes its own, and a passwd and group naming the job's user (job-etc.ts),
 * each where no mount of the runtime covers it.
 */
export async function prepare(req: ExecRequest, paths: JrtPaths): Promise<Prepared> {
  let runtime: RuntimeYml | undefined;
  let runtimeDir: string | undefined;
  let limits = req.limits;
  const warnings: string[] = [];
  if (req.runtimeSpec !== undefined) {
    // Listed from the runtimes' stamped runtime.json (no runtime.yml read or hashed: resolve.ts),
    // then the chosen one read with its stamp checked; if its runtime.yml says otherwise (changed
    // after it was stamped), every description is checked and the spec resolved again.
    let chosen = resolveRuntimeSpec(req.runtimeSpec, await listInstalled(paths.root, { trustStamps: true }));
    // Once, at job start: the installed version's real directory. An install switching
    // `.jrt-current` later does not move this job, and the installer keeps that version while it runs.
    runtimeDir = realpathSync.native(await resolveRuntimeDir(chosen.dir));
    let description = await readRuntimeDescription(runtimeDir);
    if (!sameIdentity(description, chosen.runtime)) {
      chosen = resolveRuntimeSpec(req.runtimeSpec, await listInstalled(paths.root));
      runtimeDir = realpathSync.native(await resolveRuntimeDir(chosen.dir));
      description = await readRuntimeDescription(runtimeDir);
    }
    runtime = await resolveRuntimeMounts(description, runtimeDir, warnings);
    limits = defaultMemory(runtime, req.limits);
    checkMinMemory(runtime, limits);
  }
  const opened: Pick<Prepared, 'dirs' | 'files'> = { dirs: [], files: [] };
  try {
    const job = await openJobInputs(req, paths, runtime, limits, opened);
    job.resolvConf = resolvConfFor(req.network, runtime, runtimeDir, job);
    if (runtime) {
      const mounts = planMounts(runtime, runtimeDir, job);
      const files = Object.entries(jobEtcFiles(req.uid ?? 0, req.gid ?? 0)).filter(
        ([name]) => hostPathOf(mounts, `/etc/${name}`) === 'absent',
      );
      if (files.length > 0) job.etcFiles = Object.fromEntries(files);
    }
    return { runtimeName: runtime?.name ?? 'host', runtimeDir, runtime, job, limits, warnings, ...opened };
  } catch (e) {
    closePrepared(opened);
    throw e;
  }
}

/** The working directory, volumes and job file, each opened once; what was opened goes into `opened`. */
async function openJobInputs(
  req: ExecRequest,
  paths: JrtPaths,
  runtime: RuntimeYml | undefined,
  limits: JobLimits,
  opened: Pick<Prepared, 'dirs' | 'files'>,
): Promise<SandboxJob> {
  const work = openWorkdir(req.workdir, req.cwd, req.pwd, paths);
  opened.dirs.push({ fd: work.fd, owner: { uid: work.uid, gid: work.gid } });
  const workdir = work.path;
  const job: SandboxJob = {
    workdir,
    volumes: [],
    files: [],
    network: req.network,
    seccomp: true,
    ...(limits.memoryBytes ? { tmpfsBytes: limits.memoryBytes } : {}),
    uid: req.uid ?? 0,
    gid: req.gid ?? 0,
    env: { ...req.env },
    argv: [],
  };
  const volume = async (parent: string, name: string, target: string) => {
    const v = await openVolume(parent, name);
    const st = fstatSync(v.fd);
    opened.dirs.push({ fd: v.fd, owner: { uid: st.uid, gid: st.gid } });
    job.volumes.push({ hostPath: v.dir, target });
  };
  for (const v of req.volumes) await volume(path.join(paths.state, 'volumes'), v.name, v.target);
  if (req.packageCache) {
    const pm = runtime?.package_manager;
    if (!runtime || !pm?.cache_volume) {
      throw usageError(
        'ERR_JRT_NO_CACHE_VOLUME',
        `--package-cache: the runtime declares no package_manager.cache_volume`,
      );
    }
    // One cache per runtime (its name carries the major version): no runtime can name another's
    // cache, or a user's volume, whatever its runtime.yml says.
    await volume(path.join(paths.state, 'package-caches'), runtime.name, '/cache');
    job.env = { JRT_CACHE_DIR: '/cache', ...(CACHE_ENV[pm.type] ?? {}), ...job.env };
  }
  if (req.file !== undefined) {
    const named = path.resolve(req.cwd, req.file);
    const rel = path.relative(
      workdir,
      realpathOr(named, () => named),
    );
    let inside: string;
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      const f = openJobFile(req.file, req.cwd);
      opened.files.push(f.fd);
      inside = path.join('/job', path.basename(f.path));
      job.files.push({ hostPath: f.path, target: inside, perms: f.perms });
    } else inside = path.join(WORK_DIR, rel);
    const entry = (runtime?.entrypoints ?? HOST_ENTRYPOINTS)[path.extname(inside)];
    job.argv = [...(entry ?? []), inside, ...req.args];
  } else job.argv = [...req.args];
  return job;
}
/**
 * What the job's /etc/resolv.conf says: the host's with `host` (its nameservers are reachable
 * there), slirp4netns' forwarder with `web`. It covers the sandbox's own /etc/resolv.conf, so only
 * when that is a regular file (runtimes of jrt 0.2 mount their /etc with an empty one; one built
 * before that has none and its jobs resolve no names; so does legacy mode where the host's is a
 * symlink), or when no mount covers it (runtimes that leave /etc to the job host, as Joblet
 * expects: docs/joblet.md). Legacy mode with `host` already sees the host's.
 */
function resolvConfFor(
  network: NetworkMode,
  runtime: RuntimeYml | undefined,
  runtimeDir: string | undefined,
  job: SandboxJob,
): string | undefined {
  const { resolver } = NETWORK_MODES[network];
  if (resolver === 'none' || (resolver === 'host' && !runtime)) return undefined;
  const covered = hostPathOf(planMounts(runtime, runtimeDir, job), RESOLV_CONF);
  if (covered === 'virtual') return undefined;
  if (covered !== 'absent' && !lstatSync(covered, { throwIfNoEntry: false })?.isFile()) return undefined;
  if (resolver === 'slirp')
    return `# jrt --network=web: slirp4netns' DNS forwarder\nnameserver ${SLIRP_DNS}\n`;
  try {
    return readFileSync(RESOLV_CONF, 'utf8');
  } catch {
    return undefined;
  }
}
