/** Jobs as tests see them: a fake running job the installer must respect, and the records of finished ones. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type JobRecord, recordRunning } from '../../src/runner/jobs.js';

export interface FakeJob {
  pid: number;
  /** Kill the process and wait until it is gone (its record stays, as after a crashed jrt). */
  end(): Promise<void>;
}

/** A `sleep` recorded in `<state>/jobs/<id>.json` as using `runtimeDir`. */
export async function fakeRunningJob(state: string, runtimeDir: string, id = 'j1'): Promise<FakeJob> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start sleep for a fake running job');
  const closed = new Promise((r) => child.once('close', r));
  await recordRunning(state, { id, pid, runtime: 'fake', runtimeDir, start: new Date(0).toISOString() });
  return {
    pid,
    async end() {
      child.kill('SIGKILL');
      await closed;
    },
  };
}

/** Every finished job's record, oldest first, from `<log>/jobs.jsonl`. */
export async function jobRecords(log: string): Promise<JobRecord[]> {
  const text = await readFile(path.join(log, 'jobs.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JobRecord);
}
