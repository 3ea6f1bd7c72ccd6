/** A running job as the installer sees one: a live process and the record the runner writes for it. */
import { spawn } from 'node:child_process';
import { recordRunning } from '../../src/runner/jobs.js';

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
