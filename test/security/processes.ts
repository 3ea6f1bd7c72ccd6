/**
 * Host-side views of a job's processes for the attack suite: the processes whose command line
 * carries a marker, and `jrt exec` started so the test can act while the job is still running.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { BUNDLE as JRT_BUNDLE, type JrtHome } from '../helpers/jrt.js';

/** Host pids whose /proc/PID/cmdline contains `marker` (the test's own process excluded). */
export function pidsWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    if (cmdline.includes(marker)) found.push(Number(name));
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface LiveJob {
  child: ChildProcessWithoutNullStreams;
  /** Resolves once stdout contains `text`; rejects if jrt ends first. */
  waitFor(text: string): Promise<void>;
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `jrt exec ARGS` whose output the test can watch while the job runs. */
export function startJob(t: JrtHome, args: string[], env: NodeJS.ProcessEnv = {}): LiveJob {
  const child = spawn(process.execPath, [JRT_BUNDLE, 'exec', ...args], {
    cwd: t.work,
    env: { ...t.env, ...env },
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const settle = () => {
    for (const w of [...waiters]) {
      if (stdout.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (d) => {
    stdout += d;
    settle();
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Awaited<LiveJob['done']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`jrt ended (${exitCode ?? signal}) before printing '${w.text}':\n${stderr}`));
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    waitFor(text) {
      return new Promise((resolve, reject) => {
        waiters.push({ text, resolve, reject });
        settle();
      });
    },
  };
}
