/**
 * Resource limits of `jrt exec` against hostile jobs (root: cgroups). Every job gets a memory and a
 * pids limit without flags; /tmp and /dev/shm are sized and charged to the job; a --timeout holds
 * even while jrt itself is stopped; out-of-range values are usage errors. Jobs run in legacy mode
 * (the host's /usr read-only), so they use the host's sh, head and sleep.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHostRuntime } from '../fixtures/runtimes/host-runtime.js';
import { jobRecords } from '../helpers/jobs.js';
import { type JrtHome, jrtExec, makeJrtHome, requireRoot, startJrt } from '../helpers/jrt.js';
import { isAlive, pidsWithMarker } from './processes.js';

let t: JrtHome;

beforeAll(async () => {
  requireRoot();
  t = await makeJrtHome({ prefix: 'jrt-limits-' });
});
afterAll(async () => {
  await t?.dispose();
});

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The host directory of `pid`'s cgroup for a v1 controller (or the v2 one). */
function cgroupDir(pid: number, controller: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes(controller));
  if (v1) return path.join('/sys/fs/cgroup', controller, v1.split(':')[2] as string);
  return path.join('/sys/fs/cgroup', (lines.find((l) => l.startsWith('0::')) as string).slice(3));
}

/** What the memory limit files of `pid`'s cgroup say (v1 or v2; the absent one is undefined). */
function memoryLimit(pid: number): (string | undefined)[] {
  const mem = cgroupDir(pid, 'memory');
  return ['memory.limit_in_bytes', 'memory.max'].map((f) => {
    try {
      return readFileSync(path.join(mem, f), 'utf8').trim();
    } catch {
      return undefined;
    }
  });
}

/** Whether any cgroup directory named jrt-<id> is left on the host. */
function cgroupLeft(id: string): boolean {
  const r = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '8', '-type', 'd', '-name', `jrt-${id}`], {
    encoding: 'utf8',
  });
  return r.stdout.trim() !== '';
}

async function recordCount(): Promise<number> {
  return existsSync(path.join(t.log, 'jobs.jsonl')) ? (await jobRecords(t.log)).length : 0;
}

async function lastRecord() {
  const records = await jobRecords(t.log);
  return records[records.length - 1];
}

describe('limits without flags', () => {
  it('a job gets a 1 GiB memory limit, a 1024 pids limit and a /tmp and /dev/shm of 1 GiB', async () => {
    const marker = '31.4159';
    const run = startJrt(
      ['exec', '--', 'sh', '-c', `grep -E ' /(tmp|dev/shm) ' /proc/mounts >&2; sleep ${marker}`],
      { env: t.env, cwd: t.work },
    );
    try {
      await run.stderrContains('/dev/shm');
      const pid = await waitFor('the job', () =>
        pidsWithMarker(marker).find(
          (p) => p !== run.pid && readFileSync(`/proc/${p}/comm`, 'utf8') === 'sleep\n',
        ),
      );
      expect(memoryLimit(pid)).toContain(String(1024 ** 3));
      expect(readFileSync(path.join(cgroupDir(pid, 'pids'), 'pids.max'), 'utf8').trim()).toBe('1024');
      // jrt is never the OOM killer's first choice; the job is.
      expect(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim()).toBe('1000');
      expect(readFileSync(`/proc/${run.pid}/oom_score_adj`, 'utf8').trim()).toBe('0');
    } finally {
      run.kill('SIGTERM');
    }
    const r = await run.done;
    expect(r.stderr).toMatch(/ \/tmp tmpfs \S*size=1048576k/);
    expect(r.stderr).toMatch(/ \/dev\/shm tmpfs \S*size=1048576k/);
  });

  it("without --memory a runtime gets its recommended (here: min_memory's 1536 MiB) limit, not 1 GiB", async () => {
    await addHostRuntime(t, { name: 'big-1', language: 'big', version: '1.0', min_memory: '1536MB' });
    const marker = '16.1803';
    const run = startJrt(['exec', '--runtime=big:1', '--', 'sleep', marker], { env: t.env, cwd: t.work });
    try {
      const pid = await waitFor('the job', () =>
        pidsWithMarker(marker).find(
          (p) => p !== run.pid && readFileSync(`/proc/${p}/comm`, 'utf8') === 'sleep\n',
        ),
      );
      expect(memoryLimit(pid)).toContain(String(1536 * 1024 ** 2));
    } finally {
      run.kill('SIGTERM');
    }
    await run.done;
  });

  it.each(['/tmp', '/dev/shm'])(
    'filling %s ends the job with 137 and a true message; jrt survives, records it, leaves no cgroup',
    async (dir) => {
      const r = await jrtExec(t, [
        '--memory',
        '64m',
        '--',
        'sh',
        '-c',
        `head -c 256m /dev/zero > ${dir}/fill`,
      ]);
      expect(r.signal).toBeNull();
      expect(r.exitCode).toBe(137);
      expect(r.stderr).toContain('jrt: job killed: out of memory (limit 64 MiB');
      const rec = await lastRecord();
      expect(rec?.reason).toBe('oom');
      expect(rec?.exitStatus).toBe(137);
      expect(cgroupLeft(rec?.id as string)).toBe(false);
    },
    30_000,
  );

  it('a fork bomb ends at the default pids limit and the host still forks', async () => {
    const r = await jrtExec(t, ['--', 'sh', '-c', 'f() { f | f & }; f; sleep 3']);
    const rec = await lastRecord();
    expect(rec?.reason).toBe('pids');
    expect(r.stderr).toContain('--pids 1024');
    expect(spawnSync('true').status).toBe(0);
    expect(cgroupLeft(rec?.id as string)).toBe(false);
  }, 60_000);
});

describe('--timeout', () => {
  it('kills the job at its deadline even while jrt is stopped (SIGSTOP), then exits 124', async () => {
    const marker = '27.1828';
    const run = startJrt(['exec', '--timeout', '500ms', '--', 'sleep', marker], {
      env: t.env,
      cwd: t.work,
    });
    const jobPid = await waitFor('the job', () =>
      pidsWithMarker(marker).find(
        (p) => p !== run.pid && readFileSync(`/proc/${p}/comm`, 'utf8') === 'sleep\n',
      ),
    );
    process.kill(run.pid as number, 'SIGSTOP');
    try {
      // 500 ms + 3 s grace + 1 s slack: the watchdog's SIGKILL, with jrt unable to run meanwhile.
      await waitFor('the job to be killed', () => (isAlive(jobPid) ? undefined : true), 9000);
    } finally {
      process.kill(run.pid as number, 'SIGCONT');
    }
    const r = await run.done;
    expect(r.exitCode).toBe(124);
    expect(r.stderr).toContain('timeout');
    expect((await lastRecord())?.reason).toBe('timeout');
  }, 20_000);

  it('a --timeout above 2^31 ms does not fire at once (Node timers hold only 2^31 - 1 ms)', async () => {
    const r = await jrtExec(t, ['--timeout', '2147484s', '--', 'sleep', '1']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
});

describe('out-of-range values are usage errors naming the flag', () => {
  it.each([
    [['--memory', '99999999999t'], '--memory'],
    [['--memory', 'lots'], '--memory'],
    [['--pids', '99999999999999999999'], '--pids'],
    [['--pids', '0'], '--pids'],
    [['--cpuset', '1-0'], '--cpuset'],
    [['--timeout', '721h'], '--timeout'],
    [['--volume', `${'v'.repeat(300)}:/data`], '--volume'],
  ])('%j', async (flags, flag) => {
    const before = await recordCount();
    const r = await jrtExec(t, [...flags, '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).not.toContain('internal error');
    expect(await recordCount()).toBe(before);
    expect(existsSync(path.join(t.state, 'volumes'))).toBe(false);
  });

  it('unlimited must be asked for, and is then honoured', async () => {
    const r = await jrtExec(t, ['--memory', 'unlimited', '--pids', 'unlimited', '--', 'true']);
    expect(r.exitCode).toBe(0);
    const rec = await lastRecord();
    expect(rec?.limits.memoryBytes).toBeUndefined();
    expect(rec?.limits.pids).toBeUndefined();
  });
});

describe("the host's defaults: exec.conf (/etc/jrt/exec.conf, here JRT_EXEC_CONFIG)", () => {
  const conf = () => t.env.JRT_EXEC_CONFIG as string;
  afterAll(() => rmSync(conf(), { force: true }));

  it("sets every job's limits, above a runtime's recommended memory and below the flags", async () => {
    await addHostRuntime(t, { name: 'conf-1', language: 'conf', version: '1.0', min_memory: '200MB' });
    writeFileSync(conf(), '# this host\nmemory = 300m   # small jobs\npids = 77\ntimeout = 1h\n');
    chmodSync(conf(), 0o644);
    const r = await jrtExec(t, ['--runtime=conf:1', '--', 'true']);
    expect(r.exitCode, r.stderr).toBe(0);
    let rec = await lastRecord();
    expect(rec?.limits).toMatchObject({ memoryBytes: 300 * 1024 ** 2, pids: 77, timeoutMs: 3_600_000 });
    const flags = await jrtExec(t, [
      '--runtime=conf:1',
      '--pids',
      '50',
      '--memory',
      'unlimited',
      '--',
      'true',
    ]);
    expect(flags.exitCode, flags.stderr).toBe(0);
    rec = await lastRecord();
    expect(rec?.limits).toMatchObject({ pids: 50, timeoutMs: 3_600_000 });
    expect(rec?.limits.memoryBytes).toBeUndefined();
  });

  it('a wrong value or key is a usage error naming the file and line; nothing runs', async () => {
    for (const [text, want] of [
      ['pids = 77\nmemory = lots\n', `${conf()}:2: memory: 'lots' is not a size`],
      ['memory = 1g\nmemroy = 2g\n', `${conf()}:2: unknown key 'memroy'`],
      ['cpus = 1\ncpus = 2\n', `${conf()}:2: 'cpus' is set again (first at ${conf()}:1)`],
      ['memory 2g\n', `${conf()}:1: expected 'key = value'`],
    ] as const) {
      writeFileSync(conf(), text);
      const before = await recordCount();
      const r = await jrtExec(t, ['--', 'true']);
      expect(r.exitCode, text).toBe(2);
      expect(r.stderr).toContain(want);
      expect(await recordCount()).toBe(before);
    }
  });

  it('a config others can change (group-writable, owned by another user, in a writable directory) is refused; a FIFO does not hang jrt', async () => {
    writeFileSync(conf(), 'memory = unlimited\npids = unlimited\n');
    chmodSync(conf(), 0o664);
    let r = await jrtExec(t, ['--json', '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('ERR_JRT_CONFIG_UNSAFE');
    expect(r.stderr).toContain('mode 664 lets others change it');
    chmodSync(conf(), 0o644);
    chownSync(conf(), 1000, 1000);
    r = await jrtExec(t, ['--', 'true']);
    expect(r.stderr).toContain('owned by uid 1000, not root');
    chownSync(conf(), 0, 0);
    const dir = path.join(t.home, 'conf.d');
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    writeFileSync(path.join(dir, 'exec.conf'), 'pids = unlimited\n');
    r = await jrtExec(t, ['--', 'true'], { env: { ...t.env, JRT_EXEC_CONFIG: path.join(dir, 'exec.conf') } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${dir}: mode 777 lets others change it`);
    rmSync(conf());
    execFileSync('mkfifo', [conf()]);
    r = await jrtExec(t, ['--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('not a regular file');
    rmSync(conf());
  });
});
