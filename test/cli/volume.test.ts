/** `jrt volume` and `jrt jobs` over a state and log dir with volumes, caches and job records. */
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendJobRecord, type JobRecord, recordRunning } from '../../src/runner/jobs.js';
import { type JrtHome, jrt, makeJrtHome } from '../helpers/jrt.js';
import { tempDir } from '../helpers/temp.js';

const record = (
  id: string,
  start: string,
  runtime: string,
  exitStatus: number,
  reason: JobRecord['reason'],
  more: Partial<JobRecord> = {},
): JobRecord => ({
  id,
  start,
  runtime,
  argv: ['sh', '-c', 'true'],
  limits: {},
  exitStatus,
  reason,
  durationMs: 1500,
  ...more,
});

async function home(): Promise<JrtHome> {
  const h = await makeJrtHome({ prefix: 'jrt-volume-' });
  await mkdir(path.join(h.state, 'volumes', 'data'), { recursive: true });
  await writeFile(path.join(h.state, 'volumes', 'data', 'rows.csv'), Buffer.alloc(10_000, 1));
  await mkdir(path.join(h.state, 'volumes', 'idle'), { recursive: true });
  await mkdir(path.join(h.state, 'package-caches', 'python-3.11'), { recursive: true });
  await writeFile(path.join(h.state, 'package-caches', 'python-3.11', 'wheel'), 'w');
  await appendJobRecord(
    h.log,
    record('j1', '2026-12-01T10:00:00.000Z', 'java-17', 0, 'exit', { volumes: ['data'] }),
  );
  await appendJobRecord(
    h.log,
    record('j2', '2026-12-01T11:00:00.000Z', 'node-18', 137, 'oom', { volumes: ['data'] }),
  );
  await appendJobRecord(
    h.log,
    record('j3', '2026-12-01T12:00:00.000Z', 'python-3.11', 124, 'timeout', {
      packageCache: 'python-3.11',
      argv: ['echo', '\u001b]0;pwned\u0007'],
    }),
  );
  return h;
}

describe('jrt volume', () => {
  it('lists volumes and package caches with size, last use, runtimes and users', async () => {
    const h = await home();
    const r = await jrt(h, ['volume', 'list', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout);
    const byName = Object.fromEntries(list.map((v: { name: string }) => [v.name, v]));
    expect(Object.keys(byName).sort()).toEqual(['cache:python-3.11', 'data', 'idle']);
    expect(byName.data).toMatchObject({ kind: 'volume', runtimes: ['java-17', 'node-18'], inUseBy: [] });
    expect(byName.data.bytes).toBe(4096 + 12_288);
    expect(byName['cache:python-3.11']).toMatchObject({ kind: 'package-cache', runtimes: ['python-3.11'] });
    const human = await jrt(h, ['volume', 'list']);
    expect(human.stdout).toMatch(/^data +volume +16\.0 KiB/m);
    const one = JSON.parse((await jrt(h, ['volume', 'inspect', 'cache:python-3.11', '--json'])).stdout);
    expect(one.path).toBe(path.join(h.state, 'package-caches', 'python-3.11'));
  });

  it('refuses names that are not a volume of jrt: bad, absent, or a symlink planted in the volumes dir', async () => {
    const h = await home();
    const outside = await tempDir('jrt-outside-');
    await writeFile(path.join(outside, 'precious'), 'x');
    await symlink(outside, path.join(h.state, 'volumes', 'planted'));
    for (const name of ['../../etc', 'cache:../x', '', '.hidden']) {
      const r = await jrt(h, ['volume', 'remove', name]);
      expect(r.exitCode, name).toBe(2);
    }
    const absent = await jrt(h, ['volume', 'inspect', 'nope']);
    expect(absent.exitCode).toBe(2);
    expect(absent.stderr).toContain("no volume 'nope'");
    const planted = await jrt(h, ['volume', 'remove', 'planted']);
    expect(planted.exitCode).toBe(2);
    expect(await readdir(outside)).toEqual(['precious']);
  });

  it('removes a volume, unlinking the symlinks a job planted in it and never what they point at', async () => {
    const h = await home();
    const outside = await tempDir('jrt-outside-');
    await writeFile(path.join(outside, 'precious'), 'x');
    await symlink(outside, path.join(h.state, 'volumes', 'data', 'out'));
    await symlink(path.join(outside, 'precious'), path.join(h.state, 'volumes', 'data', 'file'));
    const r = await jrt(h, ['volume', 'remove', 'data']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^removed data \(/);
    expect(await readdir(path.join(h.state, 'volumes'))).toEqual(['idle']);
    expect(await readdir(outside)).toEqual(['precious']);
  });

  it('refuses to remove a volume or package cache a running job mounts', async () => {
    const h = await home();
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      await recordRunning(h.state, {
        id: 'live',
        pid: sleeper.pid as number,
        runtime: 'python-3.11',
        volumes: ['data'],
        packageCache: 'python-3.11',
        start: new Date().toISOString(),
      });
      for (const name of ['data', 'cache:python-3.11']) {
        const r = await jrt(h, ['volume', 'remove', name, '--json']);
        expect(r.exitCode).toBe(1);
        expect(JSON.parse(r.stdout).error.code).toBe('ERR_JRT_VOLUME_IN_USE');
        expect(r.stderr).toContain(`pid ${sleeper.pid} (live)`);
      }
      expect((await stat(path.join(h.state, 'volumes', 'data', 'rows.csv'))).size).toBe(10_000);
      const listed = JSON.parse((await jrt(h, ['volume', 'list', '--json'])).stdout);
      expect(listed.find((v: { name: string }) => v.name === 'data').inUseBy).toEqual([sleeper.pid]);
    } finally {
      sleeper.kill();
    }
  });
});

describe('jrt jobs', () => {
  it('lists records with filters, and prints no terminal escapes a job put in its argv', async () => {
    const h = await home();
    const all = JSON.parse((await jrt(h, ['jobs', '--json'])).stdout);
    expect(all.map((r: { id: string }) => r.id)).toEqual(['j1', 'j2', 'j3']);
    const ids = async (...args: string[]) =>
      JSON.parse((await jrt(h, ['jobs', '--json', ...args])).stdout).map((r: { id: string }) => r.id);
    expect(await ids('--runtime', 'node-18')).toEqual(['j2']);
    expect(await ids('--status', 'failed')).toEqual(['j2', 'j3']);
    expect(await ids('--status', 'ok')).toEqual(['j1']);
    expect(await ids('--since', '2026-12-01T10:30:00Z')).toEqual(['j2', 'j3']);
    expect(await ids('--limit', '1')).toEqual(['j3']);
    const human = await jrt(h, ['jobs']);
    expect(human.stdout).toMatch(/^START +RUNTIME +STATUS/m);
    expect(human.stdout).not.toContain('\u001b');
    for (const bad of [
      ['--status', 'weird'],
      ['--since', 'yesterday'],
      ['--limit', '0'],
    ])
      expect((await jrt(h, ['jobs', ...bad])).exitCode).toBe(2);
  });

  it('reads rotated parts too: rotation keeps every record in the same format', async () => {
    const h = await home();
    for (let i = 0; i < 30; i++)
      await appendJobRecord(
        h.log,
        record(`r${i}`, `2026-12-02T00:00:${String(i).padStart(2, '0')}.000Z`, 'java-17', 0, 'exit'),
        2048,
      );
    const files = await readdir(h.log);
    expect(files.filter((f) => /^jobs-\d{8}T\d{9}Z-\d+-\d+\.jsonl$/.test(f)).length).toBeGreaterThan(0);
    const all = JSON.parse((await jrt(h, ['jobs', '--json', '--limit', '1000'])).stdout);
    expect(all.map((r: { id: string }) => r.id)).toEqual([
      'j1',
      'j2',
      'j3',
      ...Array.from({ length: 30 }, (_, i) => `r${i}`),
    ]);
  });
});
