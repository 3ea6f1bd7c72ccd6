/**
 * What jrt remembers about jobs: `<state>/jobs/<id>.json` while a job runs (so `jrt runtime remove`
 * can refuse to pull a runtime from under it) and one JSON line per finished job in `<log>/jobs.jsonl`.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from '../core/pid.js';

export type JobReason = 'exit' | 'oom' | 'timeout' | 'pids' | 'signal' | 'error';

export interface RunningJob {
  id: string;
  pid: number;
  /** The runtime's name, or "host" in legacy mode. */
  runtime: string;
  /** The runtime directory the job uses (resolved with realpath at job start); absent in legacy mode. */
  runtimeDir?: string;
  /** Named volumes it mounts (JRT_STATE/volumes/NAME): `jrt volume remove` refuses them meanwhile. */
  volumes?: string[];
  /** The runtime whose package cache it mounts (JRT_STATE/package-caches/NAME). */
  packageCache?: string;
  start: string;
}

export interface JobRecord {
  id: string;
  start: string;
  runtime: string;
  runtimeDir?: string;
  volumes?: string[];
  packageCache?: string;
  argv: string[];
  limits: Record<string, unknown>;
  exitStatus: number;
  reason: JobReason;
  signal?: string;
  peakMemoryBytes?: number;
  durationMs: number;
}

export function newJobId(now = new Date()): string {
  // /dev/urandom rather than node:crypto, whose loading costs `jrt exec` ~2.5 ms at start.
  const random = Buffer.alloc(4);
  const fd = openSync('/dev/urandom', 'r');
  try {
    readSync(fd, random);
  } finally {
    closeSync(fd);
  }
  return `${now.getTime().toString(36)}-${random.toString('hex')}`;
}

function jobsDir(state: string): string {
  return path.join(state, 'jobs');
}

export async function recordRunning(state: string, job: RunningJob): Promise<void> {
  await mkdir(jobsDir(state), { recursive: true });
  const file = path.join(jobsDir(state), `${job.id}.json`);
  // Written whole then renamed: a reader never sees half a record.
  await writeFile(`${file}.tmp`, `${JSON.stringify(job)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function forgetRunning(state: string, id: string): Promise<void> {
  await rm(path.join(jobsDir(state), `${id}.json`), { force: true });
}

/** Remove the records of jobs whose process is gone (their jrt was killed before it could). */
export async function pruneStaleRecords(state: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(jobsDir(state));
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) await isJobLive(state, name.slice(0, -5));
}

/** The jobs that are running now and the runtime directory each uses. Records of dead jobs are ignored. */
export async function runningJobs(state: string): Promise<RunningJob[]> {
  let names: string[];
  try {
    names = await readdir(jobsDir(state));
  } catch {
    return [];
  }
  const out: RunningJob[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    try {
      const job = JSON.parse(await readFile(path.join(jobsDir(state), name), 'utf8')) as RunningJob;
      if (processAlive(job.pid)) out.push(job);
    } catch {}
  }
  return out;
}

/** Whether job `id` is running (its record exists and its pid is alive); a dead one's record is removed. */
export async function isJobLive(state: string, id: string): Promise<boolean> {
  const file = path.join(jobsDir(state), `${id}.json`);
  let job: RunningJob;
  try {
    job = JSON.parse(await readFile(file, 'utf8')) as RunningJob;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  if (processAlive(job.pid)) return true;
  await rm(file, { force: true });
  return false;
}

export const JOBS_LOG = 'jobs.jsonl';
/** The names rotatedJobsName gives: jobs-<UTC time to the ms>Z-<pid>-<n>.jsonl. */
export const ROTATED_JOBS = /^jobs-\d{8}T\d{9}Z-\d+-\d+\.jsonl$/;

let rotations = 0;

/**
 * jobs.jsonl's rotated name: jobs-<UTC time to the ms>Z-<pid>-<n>.jsonl, never one used before (a
 * rename over it would lose its records): the pid keeps processes apart, n one process's rotations.
 * Two jobs ending at once may both see a large file: the second renames only the lines since.
 */
export function rotatedJobsName(now: Date, pid = process.pid): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `jobs-${t}-${pid}-${rotations++}.jsonl`;
}

/**
 * Append the record; past `rotateBytes` the file is renamed aside whole (same format, one record a
 * line), and the next job starts a new one. `jrt gc` removes rotated files past log_max_age.
 */
export async function appendJobRecord(
  logDir: string,
  record: JobRecord,
  rotateBytes?: number,
): Promise<void> {
  await mkdir(logDir, { recursive: true });
  const file = path.join(logDir, JOBS_LOG);
  await appendFile(file, `${JSON.stringify(record)}\n`);
  if (rotateBytes === undefined) return;
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size > rotateBytes) await rename(file, path.join(logDir, rotatedJobsName(new Date()))).catch(() => {});
}
