/**
 * Job cgroups. A job gets its own cgroup beneath the one jrt runs in (or JRT_CGROUP_PARENT), never at
 * a hierarchy root: v2 when the unified hierarchy carries memory and pids, else one directory per v1
 * controller. After the job, every process left in it is killed and the directories are removed.
 */
// Synchronous calls on purpose: cgroup files are tiny kernel files, and a job's start waits on each
// of them. A promise-based call is a round trip through libuv's thread pool (~0.1-0.3 ms here); the
// direct syscall takes microseconds. Nothing else runs in jrt exec while they do.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { v2JobParent } from './cgroup-v2.js';
import type { JobLimits } from './limits.js';
import { hostSystemd, type SystemdLink } from './systemd.js';

const DEFAULT_FS = '/sys/fs/cgroup';

export interface JobCgroup {
  version: 1 | 2;
  /** Every directory created, children last (removed in reverse). */
  dirs: string[];
  /** The cgroup.procs files the job's first process writes its pid into. */
  procsFiles: string[];
  /** Where to list every process of the job. */
  tasksDir: string;
  memoryDir: string;
  pidsDir: string;
}

export interface CgroupOutcome {
  oomKilled: boolean;
  pidsLimitHit: boolean;
  peakMemoryBytes: number | undefined;
}

/** `/proc/self/cgroup` lines → controller (or "" for v2) → path. Pure. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of (m[1] as string).split(',')) out.set(c, m[2] as string);
  }
  return out;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The value of `key N` in a flat-keyed file (memory.events, memory.oom_control, pids.events). */
export function keyedValue(text: string | undefined, key: string): number | undefined {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text ?? '');
  return m ? Number(m[1]) : undefined;
}

function v2Root(fs: string): string | undefined {
  for (const root of [fs, path.join(fs, 'unified')]) {
    const controllers = readText(path.join(root, 'cgroup.controllers'))?.split(/\s+/) ?? [];
    if (controllers.includes('memory') && controllers.includes('pids')) return root;
  }
  return undefined;
}

function write(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch (e) {
    throw failure('ERR_JRT_CGROUP', `cannot write '${value}' to ${file}: ${(e as Error).message}`, {
      hint: 'jrt exec needs root and writable cgroups; set JRT_CGROUP_PARENT to a delegated cgroup',
    });
  }
}

/**
 * Whether a job cannot run without cgroups: it asked for a limit. Every job gets cgroups when they can
 * be made (accounting, kill-all); one without limits may fall back to its pid namespace
 * (src/runner/pidns.ts) where they cannot.
 */
export function needsCgroup(limits: JobLimits): boolean {
  return Boolean(limits.memoryBytes || limits.pids || limits.cpus || limits.cpuset);
}

export interface CgroupPlace {
  /** A cgroup path (as in /proc/self/cgroup) to create job cgroups beneath instead of jrt's own. */
  parent?: string | undefined;
  /** Where the cgroup hierarchies are mounted (tests point this at a directory of their own). */
  fsRoot?: string;
  /** The text of /proc/self/cgroup. */
  selfCgroup?: string;
  /** systemd as PID 1 (null: none, whatever the host has); found on the host when not given. */
  systemd?: SystemdLink | null;
  /** JRT_TRACE: where the job's cgroup went and why. */
  note?: (line: string) => void;
}

/** Create the job's cgroup(s) with its limits, beneath jrt's own cgroup or `place.parent`. */
export async function createJobCgroup(
  id: string,
  limits: JobLimits,
  place: CgroupPlace = {},
): Promise<JobCgroup> {
  const FS = place.fsRoot ?? DEFAULT_FS;
  const parent = place.parent;
  const own = parseProcCgroup(place.selfCgroup ?? readText('/proc/self/cgroup') ?? '');
  const name = `jrt-${id}`;
  const created: string[] = [];
  const mk = (dir: string) => {
    try {
      mkdirSync(dir);
    } catch (e) {
      throw failure('ERR_JRT_CGROUP', `cannot create cgroup ${dir}: ${(e as Error).message}`, {
        hint: 'jrt exec needs root; set JRT_CGROUP_PARENT to a cgroup jrt may create children in',
      });
    }
    created.push(dir);
  };
  try {
    const root2 = v2Root(FS);
    if (root2) {
      const want = ['memory', 'pids', ...(limits.cpus ? ['cpu'] : []), ...(limits.cpuset ? ['cpuset'] : [])];
      // A stand-in hierarchy (tests) never talks to the host's systemd.
      const systemd =
        place.systemd === undefined
          ? place.fsRoot
            ? undefined
            : hostSystemd()
          : (place.systemd ?? undefined);
      const under = await v2JobParent(
        { root: root2, own: own.get('') ?? '/', parent, systemd, id, note: place.note ?? (() => {}) },
        want,
      );
      const dir = path.join(under, name);
      mk(dir);
      if (limits.memoryBytes) {
        write(path.join(dir, 'memory.max'), String(limits.memoryBytes));
        if (existsSync(path.join(dir, 'memory.swap.max'))) write(path.join(dir, 'memory.swap.max'), '0');
      }
      if (limits.pids) write(path.join(dir, 'pids.max'), String(limits.pids));
      if (limits.cpus) write(path.join(dir, 'cpu.max'), `${Math.round(limits.cpus * 100_000)} 100000`);
      if (limits.cpuset) write(path.join(dir, 'cpuset.cpus'), limits.cpuset);
      const procs = path.join(dir, 'cgroup.procs');
      return { version: 2, dirs: created, procsFiles: [procs], tasksDir: dir, memoryDir: dir, pidsDir: dir };
    }
    const dirOf = (controller: string) =>
      path.join(FS, controller, parent ?? own.get(controller) ?? '/', name);
    const memory = dirOf('memory');
    const pids = dirOf('pids');
    mk(memory);
    if (limits.memoryBytes) {
      write(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // Without this a job with swap available would page out instead of hitting its limit.
      const memsw = path.join(memory, 'memory.memsw.limit_in_bytes');
      if (existsSync(memsw)) write(memsw, String(limits.memoryBytes));
    }
    mk(pids);
    if (limits.pids) write(path.join(pids, 'pids.max'), String(limits.pids));
    const dirs = [memory, pids];
    if (limits.cpus) {
      const cpu = dirOf('cpu');
      mk(cpu);
      write(path.join(cpu, 'cpu.cfs_period_us'), '100000');
      write(path.join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * 100_000)));
      dirs.push(cpu);
    }
    if (limits.cpuset) {
      const cpuset = dirOf('cpuset');
      mk(cpuset);
      // A v1 cpuset starts empty: it needs memory nodes before any process may join.
      const mems = readText(path.join(path.dirname(cpuset), 'cpuset.mems'))?.trim() || '0';
      write(path.join(cpuset, 'cpuset.mems'), mems);
      write(path.join(cpuset, 'cpuset.cpus'), limits.cpuset);
      dirs.push(cpuset);
    }
    return {
      version: 1,
      dirs: created,
      procsFiles: dirs.map((d) => path.join(d, 'cgroup.procs')),
      tasksDir: pids,
      memoryDir: memory,
      pidsDir: pids,
    };
  } catch (e) {
    await removeDirs(created);
    throw e;
  }
}

/**
 * Change the memory limit of a job cgroup no process has joined yet (the runtime's recommended_memory,
 * known only after the cgroup was made). On v1 memsw may never be below the limit: order matters.
 */
export function setMemoryLimit(cg: JobCgroup, bytes: number): void {
  if (cg.version === 2) {
    write(path.join(cg.memoryDir, 'memory.max'), String(bytes));
    return;
  }
  const limit = path.join(cg.memoryDir, 'memory.limit_in_bytes');
  const memsw = path.join(cg.memoryDir, 'memory.memsw.limit_in_bytes');
  const files = existsSync(memsw) ? [limit, memsw] : [limit];
  const current = Number(readText(limit)?.trim());
  for (const f of bytes > current ? files.reverse() : files) write(f, String(bytes));
}

/** Pids of every process in the job's cgroup. */
export async function cgroupPids(cg: JobCgroup): Promise<number[]> {
  const text = readText(path.join(cg.tasksDir, 'cgroup.procs')) ?? '';
  return text
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((n) => n > 0);
}

/** Send `signal` to every process of the job except `spare` (bwrap's monitor keeps reporting status); returns how many. */
export async function signalCgroup(cg: JobCgroup, signal: NodeJS.Signals, spare?: number): Promise<number> {
  let sent = 0;
  for (const pid of await cgroupPids(cg)) {
    if (pid === spare) continue;
    try {
      process.kill(pid, signal);
      sent++;
    } catch {}
  }
  return sent;
}

export async function cgroupOutcome(cg: JobCgroup): Promise<CgroupOutcome> {
  const m = cg.memoryDir;
  const oom =
    cg.version === 2
      ? keyedValue(readText(path.join(m, 'memory.events')), 'oom_kill')
      : keyedValue(readText(path.join(m, 'memory.oom_control')), 'oom_kill');
  const pidsMax = keyedValue(readText(path.join(cg.pidsDir, 'pids.events')), 'max');
  const peakText =
    cg.version === 2
      ? readText(path.join(m, 'memory.peak'))
      : readText(path.join(m, 'memory.max_usage_in_bytes'));
  const peak = peakText === undefined ? undefined : Number(peakText.trim());
  return {
    oomKilled: (oom ?? 0) > 0,
    pidsLimitHit: (pidsMax ?? 0) > 0,
    peakMemoryBytes: Number.isFinite(peak) ? peak : undefined,
  };
}

/**
 * Remove the empty cgroups of jobs whose jrt was killed (SIGKILL leaves no chance to clean up):
 * `jrt-<id>` siblings of this job's cgroups that hold no process, are not live per `isLive`, and are
 * older than `minAgeMs` (so a job that is just starting, not yet recorded, is never touched).
 */
export async function sweepStaleJobCgroups(
  cg: JobCgroup,
  isLive: (id: string) => Promise<boolean>,
  minAgeMs = 60_000,
): Promise<string[]> {
  const removed: string[] = [];
  const parents = new Set(cg.dirs.map((d) => path.dirname(d)));
  const own = new Set(cg.dirs);
  for (const parent of parents) {
    let entries: string[];
    try {
      entries = readdirSync(parent);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const dir = path.join(parent, entry);
      if (!entry.startsWith('jrt-') || own.has(dir)) continue;
      try {
        const st = statSync(dir);
        if (!st.isDirectory() || Date.now() - st.mtimeMs < minAgeMs) continue;
        if ((readText(path.join(dir, 'cgroup.procs')) ?? '').trim() !== '') continue;
        if (await isLive(entry.slice(4))) continue;
        rmdirSync(dir);
        removed.push(dir);
      } catch {}
    }
  }
  return removed;
}

/** Kill whatever is left in the job's cgroup, then remove its directories. */
export async function destroyJobCgroup(cg: JobCgroup): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const pids = await cgroupPids(cg);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(5);
  }
  await removeDirs(cg.dirs);
}

async function removeDirs(dirs: string[]): Promise<void> {
  for (const dir of [...dirs].reverse()) {
    // A cgroup whose last process just died can stay busy for a moment.
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || i === 99)
          throw failure('ERR_JRT_CGROUP', `cannot remove cgroup ${dir}: ${code}`);
        await sleep(10);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
