/**
 * Which runtime directories running jobs use. The runner records each job in
 * <JRT_STATE>/jobs/*.json (src/runner/jobs.ts, which also says which of them are alive); a job
 * whose pid is alive holds its runtime. Legacy-mode jobs (no runtime directory) hold none.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { runningJobs } from '../runner/jobs.js';

export interface RunningJob {
  pid: number;
  runtimeDir: string;
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
    if (typeof j.runtimeDir !== 'string') continue;
    const given = path.resolve(j.runtimeDir);
    if (
      inside(given) ||
      inside(await real(j.runtimeDir)) ||
      (namePath !== undefined && given === path.resolve(namePath))
    )
      out.push({ pid: j.pid, runtimeDir: j.runtimeDir });
  }
  return out;
}
