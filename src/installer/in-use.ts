/**
 * Which runtime directories running jobs use. The runner records each job in
 * <JRT_STATE>/jobs/*.json as {pid, runtimeDir}; a job whose pid is alive holds its runtime.
 * The lead will point `runningJobs` at src/runner/jobs.ts once the runner branch is merged.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';

export interface RunningJob {
  pid: number;
  runtimeDir: string;
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function runningJobs(state: string): Promise<RunningJob[]> {
  const dir = path.join(state, 'jobs');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const jobs: RunningJob[] = [];
  for (const n of names.filter((x) => x.endsWith('.json'))) {
    try {
      const j = JSON.parse(await readFile(path.join(dir, n), 'utf8')) as Partial<RunningJob>;
      if (typeof j.pid === 'number' && typeof j.runtimeDir === 'string' && pidAlive(j.pid))
        jobs.push({ pid: j.pid, runtimeDir: j.runtimeDir });
    } catch {
      // A record being written or removed right now: not a job we can account for.
    }
  }
  return jobs;
}

async function real(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The running jobs that use the version directory `dir` (compared as given and after resolving
 * symlinks). A job that recorded only the runtime's name directory (`namePath`, <root>/<lang>/<name>)
 * may use any of its versions, so it counts as using each of them: old versions then stay until the
 * job ends (the next install or cleanup removes them).
 */
export async function jobsUsing(dir: string, state: string, namePath?: string): Promise<RunningJob[]> {
  const target = await real(dir);
  const inside = (p: string) => p === target || p.startsWith(`${target}/`);
  const out: RunningJob[] = [];
  for (const j of await runningJobs(state)) {
    const given = path.resolve(j.runtimeDir);
    if (
      inside(given) ||
      inside(await real(j.runtimeDir)) ||
      (namePath !== undefined && given === path.resolve(namePath))
    )
      out.push(j);
  }
  return out;
}
