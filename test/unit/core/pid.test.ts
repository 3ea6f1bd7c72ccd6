/** processAlive: the one answer to "is its owner still running" for jobs, install locks and build dirs. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../../src/core/pid.js';

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

describe('processAlive', () => {
  it('is true for this process and pid 1, false for pids that address groups', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(1)).toBe(true);
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(processAlive(pid)).toBe(false);
  });

  it('is false for a zombie nobody reaped and for a process that is gone', async () => {
    // sh starts `head`, which exits once we write a byte, then becomes `sleep`, which never reaps
    // it: once sh is sleep, the byte turns head into a zombie nobody will reap.
    const sh = spawn('sh', ['-c', 'exec 3<&0; head -c1 <&3 >/dev/null & echo $!; exec sleep 30 3<&-'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => sh.stdout.once('data', (d) => resolve(String(d)))),
      );
      const comm = () => readFileSync(`/proc/${sh.pid}/comm`, 'utf8').trim();
      while (comm() !== 'sleep') await new Promise((r) => setImmediate(r));
      expect(processAlive(pid)).toBe(true);
      sh.stdin.write('x');
      for (let s = state(pid); s !== 'Z'; s = state(pid)) {
        if (s === undefined) throw new Error(`pid ${pid} was reaped before it could be seen as a zombie`);
        await new Promise((r) => setImmediate(r));
      }
      expect(processAlive(pid)).toBe(false);
      expect(processAlive(sh.pid as number)).toBe(true);
    } finally {
      sh.kill('SIGKILL');
    }
    await new Promise((r) => sh.once('close', r));
    expect(processAlive(sh.pid as number)).toBe(false);
  });
});
