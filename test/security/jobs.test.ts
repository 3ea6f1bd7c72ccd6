/**
 * Attacks from inside a job (root: namespaces, mounts, cgroups). The fixture runtime's /usr is the
 * host's, read-only, so the attacks use the host's sh and python3. Cases already proven by
 * test/integration/runner/sandbox.test.ts are listed in docs/security.md, not repeated here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHostRuntime } from '../fixtures/runtimes/host-runtime.js';
import { BUNDLE as JRT_BUNDLE, type JrtHome, jrtExec, makeJrtHome, requireRoot } from '../helpers/jrt.js';
import { isAlive, pidsWithMarker, startJob } from './processes.js';

let t: JrtHome;
const RT = '--runtime=host:12';
const HARNESS = path.join(import.meta.dirname, 'pty-harness.py');

beforeAll(async () => {
  requireRoot();
  for (const tool of ['python3', 'setpriv'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      throw new Error(`the attack suite needs '${tool}' on the host's PATH`);
  t = await makeJrtHome({ prefix: 'jrt-sec-' });
  await addHostRuntime(t, { name: 'host-12', language: 'host', version: '12.1' });
});
afterAll(async () => {
  await t?.dispose();
});

async function jobCount(): Promise<number> {
  const file = path.join(t.log, 'jobs.jsonl');
  if (!existsSync(file)) return 0;
  return (await readFile(file, 'utf8')).trim().split('\n').filter(Boolean).length;
}

/** Run argv on a fresh pty; returns its terminal output and what it left in the terminal's input. */
function onTerminal(argv: string[]): { output: string; status: number; leftover: string } {
  const r = spawnSync('python3', [HARNESS, JSON.stringify(argv)], {
    cwd: t.work,
    env: t.env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  const m = /HARNESS-RESULT (\{.*\})/.exec(r.stdout);
  if (!m) throw new Error(`the pty harness printed no result:\n${r.stdout}\n${r.stderr}`);
  const res = JSON.parse(m[1] as string) as { status: number; leftover: string };
  return { output: r.stdout, ...res };
}

describe('a job attacking the caller', () => {
  const INJECT = [
    'import fcntl, os, termios',
    'print("stdin is a tty:", os.isatty(0), flush=True)',
    'try:',
    '    for c in b"touch /tmp/jrt-pwned\\n": fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))',
    '    print("TIOCSTI accepted")',
    'except OSError as e:',
    '    print("TIOCSTI refused:", e.strerror)',
  ].join('\n');

  it('TIOCSTI cannot push input into the terminal of the user who ran jrt exec', () => {
    // Control: the same program run directly as an unprivileged user on that terminal does inject,
    // so the harness sees an injection when there is one.
    const direct = onTerminal([
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'python3',
      '-c',
      INJECT,
    ]);
    expect(direct.output).toContain('TIOCSTI accepted');
    expect(direct.leftover).toBe('touch /tmp/jrt-pwned\n');

    const jailed = onTerminal([process.execPath, JRT_BUNDLE, 'exec', RT, '--', 'python3', '-c', INJECT]);
    // The job really had the caller's terminal on fd 0, and the kernel refused the ioctl.
    expect(jailed.output).toContain('stdin is a tty: True');
    expect(jailed.output).toMatch(/TIOCSTI refused: (Operation not permitted|Input\/output error)/);
    expect(jailed.status).toBe(0);
    expect(jailed.leftover).toBe('');
    expect(jailed.output).not.toContain('touch /tmp/jrt-pwned');
  });

  it('background children do not outlive the job, and jrt returns when the job exits', async () => {
    // A unique sleep length marks the job's processes in the host's process table.
    const marker = `1000.${process.pid}${Date.now() % 100000}`;
    const job = startJob(t, [
      RT,
      '--',
      'sh',
      '-c',
      `sleep ${marker} & sleep ${marker} & (sleep ${marker} &); echo started; ` +
        'while [ ! -e /work/go ]; do sleep 0.05; done; exit 3',
    ]);
    await job.waitFor('started');
    // The third sleep is forked by a subshell that may not have exec'd yet: wait until all three run.
    let pids = pidsWithMarker(`sleep\0${marker}`);
    while (pids.length < 3) {
      await new Promise((r) => setTimeout(r, 20));
      pids = pidsWithMarker(`sleep\0${marker}`);
    }
    expect(pids, 'the three background sleeps run on the host while the job lives').toHaveLength(3);
    await writeFile(path.join(t.work, 'go'), '');
    // No timer here: if jrt waited for the sleeps, this would hang until the test's timeout.
    const r = await job.done;
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('');
    expect(pids.filter(isAlive), 'job processes still alive after jrt returned').toEqual([]);
    expect(pidsWithMarker(`sleep\0${marker}`)).toEqual([]);
  });

  it('a job that ignores SIGTERM is killed at --timeout together with its children', async () => {
    const marker = `1000.${process.pid}${(Date.now() % 100000) + 1}`;
    const job = startJob(t, [
      RT,
      '--timeout',
      '2s',
      '--',
      'sh',
      '-c',
      `trap "" TERM; sh -c 'trap "" TERM; sleep ${marker}' & sleep ${marker} & echo started; ` +
        'while :; do sleep 0.1; done',
    ]);
    let ended = false;
    void job.done.then(() => {
      ended = true;
    });
    await job.waitFor('started');
    let pids = pidsWithMarker(`sleep\0${marker}`);
    while (pids.length < 2 && !ended) {
      await new Promise((r) => setTimeout(r, 20));
      pids = pidsWithMarker(`sleep\0${marker}`);
    }
    expect(pids, 'both children ran before the timeout').toHaveLength(2);
    const r = await job.done;
    expect(r.stdout).toBe('started\n');
    expect(r.exitCode).toBe(124);
    expect(r.stderr).toContain('jrt: job killed: timeout after 2000 ms');
    expect(pids.filter(isAlive)).toEqual([]);
    expect(pidsWithMarker(`sleep\0${marker}`)).toEqual([]);
  });

  it('a fork bomb under --pids 50 ends, leaves no process behind, and the host still forks', async () => {
    const marker = `jrt-bomb-${process.pid}-${Date.now()}`;
    // dash's subshells are forks: every copy of the bomb keeps `marker` as its $0 in cmdline. The
    // job's first process execs sleep (no fork), so it lives until the timeout whatever the bomb does.
    const r = await jrtExec(t, [
      RT,
      '--pids',
      '50',
      '--timeout',
      '3s',
      '--',
      'sh',
      '-c',
      'b() { b | b & }; b; exec sleep 60',
      marker,
    ]);
    // The limit stops the forks (dash says so); the bomb never ends by itself, the timeout ends it.
    expect(r.stderr).toContain(`${marker}: 1: Cannot fork`);
    expect(r.stderr).toContain('jrt: job killed: timeout after 3000 ms');
    expect(r.exitCode).toBe(124);
    expect(pidsWithMarker(marker)).toEqual([]);
    expect(execFileSync('sh', ['-c', 'echo host-ok']).toString()).toBe('host-ok\n');
  });
});

describe('hostile --runtime specs', () => {
  const cases = [
    (m: string) => `host:12;touch ${m}`,
    (m: string) => `host:12$(touch ${m})`,
    (m: string) => `host:12\`touch ${m}\``,
    (m: string) => `host:12\ntouch ${m}`,
    (m: string) => `host:12|touch ${m}`,
    (m: string) => `host:12 && touch ${m}`,
    (m: string) => `../../../../tmp/${path.basename(m)}`,
  ];
  it.each(cases.map((c, i) => [i, c]))(
    'case %i: exit 2, a message naming the spec, and no command runs',
    async (i, c) => {
      const marker = path.join(os.tmpdir(), `jrt-sec-marker-${process.pid}-${i}`);
      const spec = c(marker);
      const before = await jobCount();
      const r = await jrtExec(t, [`--runtime=${spec}`, '--', 'touch', marker]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain("jrt: invalid --runtime '");
      expect(r.stderr).toContain('only letters, digits and . : + @ _ - are allowed');
      expect(r.stderr).not.toMatch(/\n\s+at /); // a usage error, not a stack trace
      expect(existsSync(marker)).toBe(false);
      expect(await jobCount()).toBe(before);
    },
  );
});
