/** Whether a process is alive, for every "is its owner still running" question (jobs, locks, build dirs). */
import { readFileSync } from 'node:fs';

/**
 * `pid` exists and is not a zombie waiting for its reaper (a zombie holds no lock and runs no job).
 * EPERM from kill(0) means it exists but belongs to someone else. Zero and negative pids would
 * address process groups, so they are never alive.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
