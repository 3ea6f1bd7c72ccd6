/**
 * What jrt writes to create a job's cgroups, on a directory laid out like /sys/fs/cgroup (v1 hybrid and
 * v2). The kernel's side (limits taking effect) is proven by the integration tests on this host's v1.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cgroupOutcome, createJobCgroup, destroyJobCgroup } from '../../../src/runner/cgroups.js';

let fs: string;
beforeEach(async () => {
  fs = await mkdtemp(path.join(os.tmpdir(), 'jrt-cgfs-'));
});
afterEach(() => rm(fs, { recursive: true, force: true }));

const read = (rel: string) => readFile(path.join(fs, rel), 'utf8');

describe('cgroup v1 (hybrid: no controllers in unified)', () => {
  beforeEach(async () => {
    for (const c of ['memory/process_api/me', 'pids', 'cpu', 'cpuset', 'unified']) {
      await mkdir(path.join(fs, c), { recursive: true });
    }
    await writeFile(path.join(fs, 'unified/cgroup.controllers'), 'hugetlb\n');
    await writeFile(path.join(fs, 'cpuset/cpuset.mems'), '0\n');
  });
  const selfCgroup = '4:memory:/process_api/me\n8:pids:/\n1:cpu:/\n3:cpuset:/\n0::/\n';

  it('creates one directory per controller beneath jrt own cgroup, with the limits', async () => {
    const cg = await createJobCgroup(
      'j1',
      { memoryBytes: 64 * 1024 ** 2, pids: 100, cpus: 1.5, cpuset: '0-1' },
      { fsRoot: fs, selfCgroup },
    );
    expect(cg.version).toBe(1);
    expect(cg.dirs.map((d) => path.relative(fs, d))).toEqual([
      'memory/process_api/me/jrt-j1',
      'pids/jrt-j1',
      'cpu/jrt-j1',
      'cpuset/jrt-j1',
    ]);
    expect(cg.procsFiles.map((f) => path.relative(fs, f))).toEqual(
      cg.dirs.map((d) => path.join(path.relative(fs, d), 'cgroup.procs')),
    );
    expect(await read('memory/process_api/me/jrt-j1/memory.limit_in_bytes')).toBe(String(64 * 1024 ** 2));
    expect(await read('pids/jrt-j1/pids.max')).toBe('100');
    expect(await read('cpu/jrt-j1/cpu.cfs_quota_us')).toBe('150000');
    expect(await read('cpu/jrt-j1/cpu.cfs_period_us')).toBe('100000');
    expect(await read('cpuset/jrt-j1/cpuset.mems')).toBe('0');
    expect(await read('cpuset/jrt-j1/cpuset.cpus')).toBe('0-1');
  });

  it('uses JRT_CGROUP_PARENT when given, and only memory+pids without cpu limits', async () => {
    await mkdir(path.join(fs, 'memory/jobs'));
    await mkdir(path.join(fs, 'pids/jobs'));
    const cg = await createJobCgroup('j2', {}, { fsRoot: fs, selfCgroup, parent: '/jobs' });
    expect(cg.dirs.map((d) => path.relative(fs, d))).toEqual(['memory/jobs/jrt-j2', 'pids/jobs/jrt-j2']);
  });

  it('reads OOM kills, the pids limit and peak memory', async () => {
    const cg = await createJobCgroup('j3', {}, { fsRoot: fs, selfCgroup });
    await writeFile(
      path.join(cg.memoryDir, 'memory.oom_control'),
      'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n',
    );
    await writeFile(path.join(cg.memoryDir, 'memory.max_usage_in_bytes'), '67108864\n');
    await writeFile(path.join(cg.pidsDir, 'pids.events'), 'max 0\n');
    expect(await cgroupOutcome(cg)).toEqual({
      oomKilled: true,
      pidsLimitHit: false,
      peakMemoryBytes: 67108864,
    });
  });

  it('removes what it created when a limit cannot be written', async () => {
    await mkdir(path.join(fs, 'pids/jrt-j4/pids.max'), { recursive: true });
    await expect(createJobCgroup('j4', { pids: 5 }, { fsRoot: fs, selfCgroup })).rejects.toMatchObject({
      code: 'ERR_JRT_CGROUP',
    });
    expect(await readdir(path.join(fs, 'memory/process_api/me'))).toEqual([]);
  });
});

describe('cgroup v2', () => {
  beforeEach(async () => {
    await mkdir(path.join(fs, 'user.slice/jrt.scope'), { recursive: true });
    await writeFile(path.join(fs, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  });

  it('enables controllers in the parent and writes v2 limits into one directory', async () => {
    const cg = await createJobCgroup(
      'j5',
      { memoryBytes: 128 * 1024 ** 2, pids: 50, cpus: 0.5, cpuset: '1' },
      { fsRoot: fs, selfCgroup: '0::/user.slice/jrt.scope\n' },
    );
    expect(cg.version).toBe(2);
    expect(cg.dirs.map((d) => path.relative(fs, d))).toEqual(['user.slice/jrt.scope/jrt-j5']);
    expect(await read('user.slice/jrt.scope/cgroup.subtree_control')).toBe('+memory +pids +cpu +cpuset');
    expect(await read('user.slice/jrt.scope/jrt-j5/memory.max')).toBe(String(128 * 1024 ** 2));
    expect(await read('user.slice/jrt.scope/jrt-j5/pids.max')).toBe('50');
    expect(await read('user.slice/jrt.scope/jrt-j5/cpu.max')).toBe('50000 100000');
    expect(await read('user.slice/jrt.scope/jrt-j5/cpuset.cpus')).toBe('1');
    await writeFile(path.join(cg.memoryDir, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 0\n');
    await writeFile(path.join(cg.pidsDir, 'pids.events'), 'max 2\n');
    expect(await cgroupOutcome(cg)).toEqual({
      oomKilled: false,
      pidsLimitHit: true,
      peakMemoryBytes: undefined,
    });
  });
});

describe('destroyJobCgroup', () => {
  it('removes the directories once no process is left', async () => {
    await mkdir(path.join(fs, 'pids'), { recursive: true });
    await mkdir(path.join(fs, 'memory'), { recursive: true });
    const cg = await createJobCgroup('j6', {}, { fsRoot: fs, selfCgroup: '4:memory:/\n8:pids:/\n' });
    // A real cgroup directory holds only kernel files; this stand-in must be emptied to be rmdir'ed.
    for (const d of cg.dirs) for (const f of await readdir(d)) await rm(path.join(d, f));
    await destroyJobCgroup(cg);
    expect(await readdir(path.join(fs, 'memory'))).toEqual([]);
    expect(await readdir(path.join(fs, 'pids'))).toEqual([]);
  });
});
