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

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22), to tell a reused pid apart. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the lock holder written as "PID STARTTIME" is still that same process. */
export function holderAlive(content: string): boolean {
  const [pidText, start] = content.trim().split(/\s+/);
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!processAlive(pid)) return false;
  const now = processStartTime(pid);
  return start === undefined || now === undefined || now === start;
}
