/**
 * What happens around a job: signals to jrt, the running-job record the installer reads, volumes,
 * symlinked (versioned) runtime directories, hostile mount sources, and cleanup after many jobs.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProcCgroup } from '../../../src/runner/cgroups.js';
import { runningJobs } from '../../../src/runner/jobs.js';
import { addHostRuntime, requireSandboxHost } from '../../fixtures/runtimes/host-runtime.js';
import { jobRecords } from '../../helpers/jobs.js';
import { type JrtHome, jrtExec, makeJrtHome, startJrt } from '../../helpers/jrt.js';

let t: JrtHome;
let versioned: string;

beforeAll(async () => {
  requireSandboxHost();
  t = await makeJrtHome({ prefix: 'jrt-runner-test-' });
  // The installer's layout: <name> is a symlink to a versioned directory.
  versioned = await addHostRuntime(t, {
    name: 'tool-1',
    language: 'tool',
    version: '1.2',
    dirName: 'tool-1.v1',
  });
  await symlink('tool-1.v1', path.join(t.root, 'tool', 'tool-1'));
  await addHostRuntime(t, {
    name: 'pm-1',
    language: 'pm',
    version: '1',
    package_manager: { type: 'pip', cache_volume: 'pm-cache' },
  });
});
afterAll(async () => {
  await t?.dispose();
});

async function waitFor<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function cgroupDirsOf(id: string): Promise<string[]> {
  return readFile('/proc/self/cgroup', 'utf8').then((text) => {
    const own = parseProcCgroup(text);
    const found: string[] = [];
    for (const c of ['memory', 'pids', 'cpu', 'cpuset']) {
      const dir = path.join('/sys/fs/cgroup', c, own.get(c) ?? '/', `jrt-${id}`);
      if (existsSync(dir)) found.push(dir);
    }
    const v2 = path.join('/sys/fs/cgroup', own.get('') ?? '/', `jrt-${id}`);
    if (existsSync(v2)) found.push(v2);
    return found;
  });
}

/** Pids of host processes whose command line contains `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cmdline = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(marker)) out.push(Number(e));
  }
  return out;
}

describe('a running job', () => {
  it('is listed by runningJobs with its realpath runtime dir; SIGTERM to jrt reaches it; all is cleaned', async () => {
    const job = startJrt(
      [
        'exec',
        '--runtime=tool:1',
        '--memory',
        '64m',
        '--',
        'sh',
        '-c',
        'trap "echo got-term; exit 3" TERM; echo ready >&2; while :; do sleep 0.1; done',
      ],
      { env: t.env, cwd: t.work },
    );
    const [running] = await waitFor(async () => {
      const jobs = await runningJobs(t.state);
      return jobs.length > 0 ? jobs : undefined;
    });
    expect(running).toMatchObject({ runtime: 'tool-1', runtimeDir: versioned });
    expect((await cgroupDirsOf(running?.id ?? '')).length).toBeGreaterThan(0);
    // The trap is set before 'ready' is printed.
    await job.stderrContains('ready');
    process.kill(job.pid as number, 'SIGTERM');
    const r = await job.done;
    expect(r.stdout).toBe('got-term\n');
    expect(r.exitCode).toBe(3);
    expect(await runningJobs(t.state)).toEqual([]);
    expect(await readdir(path.join(t.state, 'jobs'))).toEqual([]);
    expect(await cgroupDirsOf(running?.id ?? '')).toEqual([]);
  });

  it('dies with jrt: SIGKILL to jrt kills every process of the job (with cgroups)', async () => {
    let pid = 0;
    const done = jrtExec(t, ['--runtime=tool:1', '--pids', '50', '--', 'sh', '-c', 'sleep 60 & sleep 60'], {
      onSpawn: (p) => {
        pid = p;
      },
    });
    const [job] = await waitFor(async () => {
      const jobs = await runningJobs(t.state);
      return jobs.length > 0 ? jobs : undefined;
    });
    const procs = path.join(
      (await cgroupDirsOf(job?.id ?? '')).find((d) => d.includes('/pids/')) ?? '',
      'cgroup.procs',
    );
    await waitFor(async () =>
      (await readFile(procs, 'utf8')).trim().split('\n').length >= 3 ? true : undefined,
    );
    process.kill(pid, 'SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    await waitFor(async () => ((await readFile(procs, 'utf8')).trim() === '' ? true : undefined));
    // jrt had no chance to clean up: its record is stale (not listed as running) and its cgroups are empty.
    expect(await runningJobs(t.state)).toEqual([]);
    expect(await readdir(path.join(t.state, 'jobs'))).toEqual([`${job?.id}.json`]);
    // The next job prunes the stale record (the empty cgroups go once they are a minute old).
    expect((await jrtExec(t, ['--runtime=tool:1', '--', 'true'])).exitCode).toBe(0);
    expect(await readdir(path.join(t.state, 'jobs'))).toEqual([]);
    for (const d of await cgroupDirsOf(job?.id ?? '')) await rmdir(d);
  });

  // A parent cgroup that does not exist: where jrt cannot make cgroups, a job without limits still runs.
  const NO_CGROUPS = { JRT_CGROUP_PARENT: `/jrt-test-no-such-parent-${process.pid}` };
  // Without flags a job has limits and needs cgroups: only one that asks for none may run without them.
  const NO_LIMITS = ['--runtime=tool:1', '--memory=unlimited', '--pids=unlimited'];

  it('without cgroups (none can be made, no limits asked) SIGKILL to jrt still kills every process of the job', async () => {
    // A marker no other process on the host has, to find the job's processes in /proc.
    const marker = `61.${process.pid}${Date.now() % 1000}`;
    let pid = 0;
    const done = jrtExec(t, [...NO_LIMITS, '--', 'sh', '-c', `sleep ${marker} & sleep ${marker}`], {
      env: NO_CGROUPS,
      onSpawn: (p) => {
        pid = p;
      },
    });
    const [job] = await waitFor(async () => {
      const jobs = await runningJobs(t.state);
      return jobs.length > 0 ? jobs : undefined;
    });
    await waitFor(async () => ((await processesWith(marker)).length >= 2 ? true : undefined));
    expect(await cgroupDirsOf(job?.id ?? '')).toEqual([]);
    process.kill(pid, 'SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    await waitFor(async () => ((await processesWith(marker)).length === 0 ? true : undefined));
  });

  it('without cgroups: SIGTERM to jrt reaches the job through its pid namespace', async () => {
    let pid = 0;
    const marker = `62.${process.pid}${Date.now() % 1000}`;
    const done = jrtExec(
      t,
      [
        ...NO_LIMITS,
        '--',
        'sh',
        '-c',
        `trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep ${marker}; done`,
      ],
      {
        env: NO_CGROUPS,
        onSpawn: (p) => {
          pid = p;
        },
      },
    );
    // The trap is set once the shell runs its loop.
    await waitFor(async () => ((await processesWith(marker)).length >= 1 ? true : undefined));
    process.kill(pid, 'SIGTERM');
    const r = await done;
    expect(r.stdout).toBe('ready\ngot-term\n');
    expect(r.exitCode).toBe(3);
    expect(await runningJobs(t.state)).toEqual([]);
    await waitFor(async () => ((await processesWith(marker)).length === 0 ? true : undefined));
  });

  it('keeps using the directory it started with when the symlink is switched', async () => {
    const r = await jrtExec(t, ['--runtime=tool-1', '--', 'true']);
    expect(r.exitCode).toBe(0);
    expect((await jobRecords(t.log)).at(-1)).toMatchObject({ runtime: 'tool-1', runtimeDir: versioned });
  });
});

describe('volumes and the package cache', () => {
  it('a named volume persists across jobs under JRT_STATE/volumes', async () => {
    const w = await jrtExec(t, [
      '--runtime=tool:1',
      '--volume',
      'data:/data',
      '--',
      'sh',
      '-c',
      'echo kept > /data/f',
    ]);
    expect(w.exitCode).toBe(0);
    const r = await jrtExec(t, ['--runtime=tool:1', '--volume', 'data:/srv/d', '--', 'cat', '/srv/d/f']);
    expect(r.stdout).toBe('kept\n');
    expect(await readFile(path.join(t.state, 'volumes', 'data', 'f'), 'utf8')).toBe('kept\n');
  });

  it('--package-cache mounts the runtime cache volume at /cache and points the package manager at it', async () => {
    const r = await jrtExec(t, [
      '--runtime=pm:1',
      '--package-cache',
      '--',
      'sh',
      '-c',
      'echo $PIP_CACHE_DIR; touch /cache/x',
    ]);
    expect(r.stdout).toBe('/cache\n');
    // The cache is the runtime's own (by its name), whatever name its runtime.yml gives the volume.
    expect(existsSync(path.join(t.state, 'package-caches', 'pm-1', 'x'))).toBe(true);
    expect(existsSync(path.join(t.state, 'volumes', 'pm-cache'))).toBe(false);
    const none = await jrtExec(t, ['--runtime=tool:1', '--package-cache', '--', 'true']);
    expect(none.exitCode).toBe(2);
  });
});

describe('hostile runtimes', () => {
  it('refuses a mount source that leaves the runtime through a symlink', async () => {
    const dir = await addHostRuntime(t, {
      name: 'evil-1',
      language: 'evil',
      version: '1',
      mounts: [
        { source: 'rootfs/usr', target: '/usr', readonly: true },
        { source: 'rootfs/etc', target: '/etc', readonly: true },
      ],
    });
    await symlink('/etc', path.join(dir, 'rootfs', 'etc'));
    const r = await jrtExec(t, ['--runtime=evil:1', '--', '/usr/bin/cat', '/etc/shadow']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      `runtime mount source 'rootfs/etc' resolves to /etc, outside the runtime directory ${dir}`,
    );
    expect(r.stdout).toBe('');
  });

  it('refuses a mount source with ..', async () => {
    const dir = await addHostRuntime(t, {
      name: 'evil-2',
      language: 'evil',
      version: '2',
      mounts: [{ source: '../../../../../../usr', target: '/usr', readonly: true }],
    });
    expect(existsSync(dir)).toBe(true);
    const r = await jrtExec(t, ['--runtime=evil:2', '--', '/usr/bin/true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('leaves the runtime directory');
  });
});

describe('nothing is left behind', () => {
  it('sweeps empty cgroups left by a jrt that was SIGKILLed, not fresh ones (in the next job with cgroups)', async () => {
    const own = parseProcCgroup(await readFile('/proc/self/cgroup', 'utf8'));
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const dirs = (name: string) =>
      ['memory', 'pids'].map((c) => path.join('/sys/fs/cgroup', c, own.get(c) ?? '/', `jrt-${name}`));
    const stale = dirs(`stale-${tag}`);
    const fresh = dirs(`fresh-${tag}`);
    for (const d of [...stale, ...fresh]) await mkdir(d);
    try {
      const hourAgo = new Date(Date.now() - 3_600_000);
      for (const d of stale) await utimes(d, hourAgo, hourAgo);
      const r = await jrtExec(t, ['--runtime=tool:1', '--pids', '50', '--', 'true']);
      expect(r.exitCode).toBe(0);
      expect(stale.filter((d) => existsSync(d))).toEqual([]);
      expect(fresh.filter((d) => existsSync(d))).toEqual(fresh);
    } finally {
      for (const d of [...stale, ...fresh]) await rmdir(d).catch(() => {});
    }
  });

  it('after 200 jobs in a row: no mount, cgroup, job record, uid claim or temp dir remains', async () => {
    const mountsBefore = await readFile('/proc/self/mountinfo', 'utf8');
    const ours = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.includes(t.home) || !l.includes('/tmp/'))
        .map((l) => l.split(' ').slice(3, 5).join(' '))
        .sort();
    // jrt makes no temp files; if it ever does, they go to TMPDIR, which must stay empty.
    const tmp = path.join(t.home, 'tmp');
    await mkdir(tmp, { mode: 0o755 });
    const before = (await jobRecords(t.log)).length;
    const reasons = ['exit 0', 'exit 1', 'kill -TERM $$', 'sleep 5'];
    for (let i = 0; i < 200; i++) {
      const args = ['--runtime=tool:1', '--memory', '64m', '--pids', '20'];
      if (i % 4 === 3) args.push('--timeout', '50ms');
      const r = await jrtExec(t, [...args, '--', 'sh', '-c', reasons[i % 4] as string], {
        env: { TMPDIR: tmp },
      });
      expect(r.exitCode).toBe([0, 1, 143, 124][i % 4]);
    }
    const all = await jobRecords(t.log);
    expect(all.length - before).toBe(200);
    for (const rec of all.slice(before)) expect(await cgroupDirsOf(rec.id)).toEqual([]);
    expect(ours(await readFile('/proc/self/mountinfo', 'utf8'))).toEqual(ours(mountsBefore));
    expect(await readdir(path.join(t.state, 'jobs'))).toEqual([]);
    // Every job's uid was given back.
    expect(await readdir(path.join(t.state, 'uids'))).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
  }, 240_000);
});
