import { execFileSync, spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REALISTIC } from '../fixtures/joblet/config.js';
import { type JrtHome, jrt, makeJrtHome, requireRoot } from '../helpers/jrt.js';
import { makeArtifact } from '../unit/artifact/fixture.js';

/** Every path below `dir`, relative, sorted: what is on disk. */
async function tree(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir).catch(() => [])).sort()) {
    const p = path.join(dir, name);
    out.push(path.relative(base, p));
    const st = await lstat(p);
    if (st.isDirectory()) out.push(...(await tree(p, base)));
  }
  return out;
}

/** A home with jrt in use: two installed runtimes, a hand-made one, cache, state, volumes, logs. */
async function homeInUse(h: JrtHome): Promise<string[]> {
  const a = await makeArtifact(h.home, { name: 'demo-1', payload: 'one' });
  const b = await makeArtifact(h.home, { name: 'other-2', language: 'other' });
  for (const f of [a.file, b.file]) expect((await jrt(h, ['install', f])).exitCode).toBe(0);
  // What jrt did not make stays: a runtime put there by hand, a file of the user's in the cache.
  await mkdir(path.join(h.root, 'demo', 'hand-made'), { recursive: true });
  await writeFile(
    path.join(h.root, 'demo', 'hand-made', 'runtime.yml'),
    'name: hand-made\nlanguage: demo\nversion: "1"\n',
  );
  await mkdir(path.join(h.cache, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(h.cache, 'blobs', 'sha256', 'a'.repeat(64)), 'blob');
  await mkdir(path.join(h.cache, 'artifacts'), { recursive: true });
  await writeFile(path.join(h.cache, 'notes-of-mine.txt'), 'mine');
  await mkdir(path.join(h.state, 'volumes', 'pipeline-data'), { recursive: true });
  await writeFile(path.join(h.state, 'volumes', 'pipeline-data', 'rows.csv'), '1,2\n');
  await mkdir(h.log, { recursive: true });
  await writeFile(path.join(h.log, 'jobs.jsonl'), '{}\n');
  // Job records rotated aside (runner/jobs.ts rotatedJobsName).
  await writeFile(path.join(h.log, 'jobs-20261201T000000000Z-4242-0.jsonl'), '{}\n');
  await writeFile(path.join(h.log, 'build-demo-1-2026.log'), 'log\n');
  return [path.basename(a.file), path.basename(b.file)];
}

describe('jrt uninstall', () => {
  it('removes every runtime, cache, state and log jrt made and puts the Joblet config back byte for byte', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-uninstall-' });
    await mkdir(path.dirname(h.config), { recursive: true });
    await writeFile(h.config, REALISTIC, { mode: 0o600 });
    const before = await tree(h.home);
    const artifacts = await homeInUse(h);
    expect(await readFile(h.config, 'utf8')).toContain(`base_path: "${h.root}"`);

    const asked = await jrt(h, ['uninstall']);
    expect(asked.exitCode).toBe(2);
    expect(asked.stderr).toContain('jrt uninstall would remove:');
    expect(asked.stderr).toContain('run it with --yes');
    const dry = await jrt(h, ['uninstall', '--dry-run', '--json']);
    expect(dry.exitCode).toBe(0);
    const listed = JSON.parse(dry.stdout);
    expect(listed.remove.map((r: { path: string }) => path.relative(h.home, r.path))).toEqual([
      'runtimes/demo/demo-1',
      'runtimes/demo/demo:1.0+test',
      'runtimes/demo/.jrt',
      'runtimes/other/other-2',
      'runtimes/other/other:1.0+test',
      'runtimes/other/.jrt',
      'runtimes/.jrt-staging',
      'runtimes/demo-1',
      'runtimes/demo:1.0+test',
      'runtimes/other-2',
      'runtimes/other:1.0+test',
      'cache/artifacts',
      'cache/blobs',
      'log/build-demo-1-2026.log',
      'log/jobs-20261201T000000000Z-4242-0.jsonl',
      'log/jobs.jsonl',
      'state/joblet-config.json',
      'state/locks',
      'state/volumes',
    ]);
    expect(listed.remove.at(-1).what).toBe('job volumes (job data: pipeline-data)');
    expect(listed.keep).toEqual([
      { path: path.join(h.root, 'demo/hand-made'), why: 'not installed by jrt' },
      { path: path.join(h.cache, 'notes-of-mine.txt'), why: 'not written by jrt into its cache directory' },
    ]);
    expect(listed.configs).toEqual([{ file: h.config, action: 'restore', kept: [] }]);
    expect(await readFile(h.config, 'utf8')).toContain(`base_path: "${h.root}"`);

    const r = await jrt(h, ['uninstall', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('jrt uninstall removed:');
    expect(await readFile(h.config, 'utf8')).toBe(REALISTIC);
    expect((await stat(h.config)).mode & 0o7777).toBe(0o600);
    expect(await tree(h.home)).toEqual(
      [
        ...before,
        ...artifacts,
        'cache/notes-of-mine.txt',
        'runtimes',
        'runtimes/demo',
        'runtimes/demo/hand-made',
        'runtimes/demo/hand-made/runtime.yml',
      ].sort(),
    );
  });

  it('deletes a Joblet config jrt created, with the directory it made for it', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-uninstall-' });
    const before = await tree(h.home);
    const a = await makeArtifact(h.home);
    expect((await jrt(h, ['install', a.file])).exitCode).toBe(0);
    expect((await stat(h.config)).mode & 0o7777).toBe(0o600);
    expect((await jrt(h, ['uninstall', '--yes'])).exitCode).toBe(0);
    // The test made the (empty) cache directory; jrt cannot tell, and removes it as its own.
    expect(await tree(h.home)).toEqual(
      [...before.filter((p) => p !== 'cache'), path.basename(a.file)].sort(),
    );
  });

  it('keeps a key the operator changed after jrt set it, and a config that ends without a newline comes back exact', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-uninstall-' });
    const text = 'server:\n  port: 50051\n# no runtime section, no final newline';
    await mkdir(path.dirname(h.config), { recursive: true });
    await writeFile(h.config, text, { mode: 0o640 });
    const a = await makeArtifact(h.home);
    expect((await jrt(h, ['install', a.file])).exitCode).toBe(0);
    expect((await jrt(h, ['uninstall', '--yes'])).exitCode).toBe(0);
    expect(await readFile(h.config, 'utf8')).toBe(text);
    expect((await jrt(h, ['install', a.file])).exitCode).toBe(0);
    const edited = (await readFile(h.config, 'utf8')).replace('enabled: true', 'enabled: false');
    await writeFile(h.config, edited);
    const r = await jrt(h, ['uninstall', '--yes']);
    expect(r.stdout).toContain('runtime.enabled: changed since jrt set it');
    expect(await readFile(h.config, 'utf8')).toBe(`${text}\nruntime:\n  enabled: false\n`);
  });

  it('refuses while a job runs and when something is mounted below what it would remove, changing nothing', async () => {
    requireRoot('mounting a tmpfs');
    const h = await makeJrtHome({ prefix: 'jrt-uninstall-' });
    await homeInUse(h);
    const before = await tree(h.home);
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      await mkdir(path.join(h.state, 'jobs'), { recursive: true });
      const job = { id: 'j1', pid: sleeper.pid, runtime: 'demo-1', start: new Date().toISOString() };
      await writeFile(path.join(h.state, 'jobs', 'j1.json'), JSON.stringify(job));
      const busy = await jrt(h, ['uninstall', '--yes']);
      expect(busy.exitCode).toBe(1);
      expect(busy.stderr).toContain(`jrt is still in use: job j1 (pid ${sleeper.pid}, runtime demo-1)`);
      expect((await tree(h.home)).sort()).toEqual([...before, 'state/jobs', 'state/jobs/j1.json'].sort());
    } finally {
      sleeper.kill('SIGKILL');
    }
    const m = path.join(h.cache, 'blobs', 'mnt');
    await mkdir(m);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', m]);
    h.mounts.push(m);
    await writeFile(path.join(m, 'precious'), 'x');
    const mounted = await jrt(h, ['uninstall', '--yes']);
    expect(mounted.exitCode).toBe(1);
    expect(mounted.stderr).toContain(`something is mounted where jrt would remove files: ${m}`);
    expect(await readFile(path.join(m, 'precious'), 'utf8')).toBe('x');
    // The spec links jrt keeps for Joblet stay with their runtimes: nothing was removed.
    expect((await readdir(h.root)).sort()).toEqual([
      '.jrt-staging',
      'demo',
      'demo-1',
      'demo:1.0+test',
      'other',
      'other-2',
      'other:1.0+test',
    ]);
  });

  it('refuses to empty a system directory named by a JRT_* variable', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-uninstall-' });
    for (const [v, dir] of [
      ['JRT_CACHE', '/var/cache'],
      ['JRT_STATE', '/'],
      ['JRT_LOG', '/var/log'],
    ]) {
      const r = await jrt(h, ['uninstall', '--yes'], { [v as string]: dir });
      expect(r.exitCode, v).toBe(2);
      expect(r.stderr).toContain(`jrt will not empty system directories: ${dir}`);
    }
  });
});
