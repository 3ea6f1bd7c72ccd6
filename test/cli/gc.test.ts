/**
 * `jrt gc`: after installs, updates and builds, `--dry-run` lists exactly what nothing references,
 * a real run frees it and what is installed still verifies; an install paused mid-way (its lock
 * held, its new version placed but not yet switched to) loses nothing to a gc that runs meanwhile.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeRunningJob } from '../helpers/jobs.js';
import { type JrtHome, jrt, makeJrtHome, REPO, startJrt } from '../helpers/jrt.js';
import { makeArtifact } from '../unit/artifact/fixture.js';

const DAY = 86_400_000;

/** A gc.conf in the home (root's, 0644, in a dir only root writes), named by JRT_GC_CONFIG. */
async function gcConf(h: JrtHome, text: string): Promise<void> {
  const file = path.join(h.home, 'gc.conf');
  await writeFile(file, text, { mode: 0o644 });
  h.env.JRT_GC_CONFIG = file;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** A dead pid: a process that ran and was reaped. */
async function deadPid(): Promise<number> {
  const c = spawn('true');
  await new Promise((r) => c.once('close', r));
  return c.pid as number;
}

interface Filled {
  h: JrtHome;
  unreferenced: string[];
  referenced: string[];
  liveBuild: { kill(): void };
}

/**
 * A home after some life: demo-1 installed, updated while a job held its first version (which
 * stays behind once the job ends), other-2 installed; the cache holds blobs of the shipped node-18
 * lock and others, artifacts of two builds of demo-1, base roots, build dirs of a dead and a live
 * build; the log dir old and new build logs, rotated job records and a large jobs.jsonl.
 */
async function filled(): Promise<Filled> {
  const h = await makeJrtHome({ prefix: 'jrt-gc-' });
  await gcConf(h, 'version_grace = 0s\njobs_rotate_size = 1k\nlog_max_age = 30d\n');
  for (const f of ['node-18.yml', 'node-18.lock.json'])
    await copyFile(path.join(REPO, 'recipes', f), path.join(h.recipes, f));
  const lock = JSON.parse(await readFile(path.join(h.recipes, 'node-18.lock.json'), 'utf8'));
  const pinned = lock.packages[0].sha256 as string;

  const v1 = await makeArtifact(h.home, { name: 'demo-1', payload: 'one' });
  const v2 = await makeArtifact(h.home, { name: 'demo-1', payload: 'two' });
  const o = await makeArtifact(h.home, { name: 'other-2', language: 'other' });
  expect((await jrt(h, ['install', v1.file])).exitCode).toBe(0);
  // Before the update: every install starts by removing versions no job uses any more.
  expect((await jrt(h, ['install', o.file])).exitCode).toBe(0);
  const first = path.join(
    h.root,
    'demo',
    '.jrt',
    // (its Joblet spec directory's versions, `demo:1@…`, live there too)
    (await readdir(path.join(h.root, 'demo', '.jrt'))).find((n) => n.startsWith('demo-1@')) as string,
  );
  const job = await fakeRunningJob(h.state, first);
  expect((await jrt(h, ['install', v2.file])).exitCode).toBe(0);
  await job.end();

  const c = (...p: string[]) => path.join(h.cache, ...p);
  await mkdir(c('blobs', 'sha256'), { recursive: true });
  await mkdir(c('artifacts'), { recursive: true });
  await mkdir(c('bases'), { recursive: true });
  const dead = await deadPid();
  const live = spawn('sleep', ['600'], { stdio: 'ignore' });
  for (const b of [pinned, 'b'.repeat(64), `.incoming-${'c'.repeat(64)}-${dead}`])
    await writeFile(c('blobs', 'sha256', b), 'blob');
  const old = await makeArtifact(c('artifacts'), { name: 'demo-1', version: '0.9' });
  await utimes(old.file, new Date(Date.now() - 3 * DAY), new Date(Date.now() - 3 * DAY));
  await makeArtifact(c('artifacts'), { name: 'demo-1', version: '1.0' });
  await makeArtifact(c('artifacts'), { name: 'other-2', language: 'other', version: '1.0' });
  // The recipes' bookworm base (with the default pockets, from the mirror the test names); the same
  // suite without pockets and another suite are no recipe's.
  const used = 'bookworm+security+updates@deb.debian.org_debian+deb.debian.org_debian-security.tar';
  await writeFile(c('bases', used), 'base');
  await writeFile(c('bases', 'bookworm@deb.debian.org_debian.tar'), 'base');
  await writeFile(c('bases', 'trixie@deb.debian.org_debian.tar'), 'base');
  await mkdir(c('tmp', `build-${dead}-00aa11bb`, 'root', 'usr'), { recursive: true });

  await mkdir(h.log, { recursive: true });
  const l = (n: string) => path.join(h.log, n);
  await writeFile(l('build-demo-1-2026-10-01T00-00-00-000Z.log'), 'old\n');
  await writeFile(l('build-demo-1-2026-12-01T00-00-00-000Z.log'), 'new\n');
  await writeFile(l('jobs-20261001T000000000Z-1-0.jsonl'), '{}\n');
  for (const n of ['build-demo-1-2026-10-01T00-00-00-000Z.log', 'jobs-20261001T000000000Z-1-0.jsonl'])
    await utimes(l(n), new Date(Date.now() - 40 * DAY), new Date(Date.now() - 40 * DAY));
  await writeFile(l('jobs.jsonl'), `${JSON.stringify({ id: 'x', runtime: 'demo-1' })}\n`.repeat(100));

  return {
    h,
    unreferenced: [
      c('blobs', 'sha256', 'b'.repeat(64)),
      c('blobs', 'sha256', `.incoming-${'c'.repeat(64)}-${dead}`),
      old.file,
      c('bases', 'bookworm@deb.debian.org_debian.tar'),
      c('bases', 'trixie@deb.debian.org_debian.tar'),
      c('tmp', `build-${dead}-00aa11bb`),
      first,
      l('build-demo-1-2026-10-01T00-00-00-000Z.log'),
      l('jobs-20261001T000000000Z-1-0.jsonl'),
    ].sort(),
    referenced: [
      c('blobs', 'sha256', pinned),
      c('artifacts', 'demo-1-1.0.jrt.tar.gz'),
      c('bases', used),
      l('build-demo-1-2026-12-01T00-00-00-000Z.log'),
    ],
    liveBuild: live,
  };
}

const paths = (items: { path: string }[]) => items.map((i) => i.path).sort();

describe('jrt gc', () => {
  it('--dry-run lists exactly the unreferenced items and changes nothing; gc frees them; the runtimes still verify', async () => {
    const f = await filled();
    const { h } = f;
    try {
      const dry = await jrt(h, ['gc', '--dry-run', '--json'], {
        JRT_DEBIAN_MIRROR: 'http://deb.debian.org/debian',
      });
      expect(dry.exitCode, dry.stderr).toBe(0);
      const planned = JSON.parse(dry.stdout);
      expect(paths(planned.removed)).toEqual(f.unreferenced);
      expect(paths(planned.rotated)).toEqual([path.join(h.log, 'jobs.jsonl')]);
      for (const p of [...f.unreferenced, ...f.referenced]) expect(await exists(p), p).toBe(true);

      const real = await jrt(h, ['gc', '--json'], { JRT_DEBIAN_MIRROR: 'http://deb.debian.org/debian' });
      expect(real.exitCode, real.stderr).toBe(0);
      const done = JSON.parse(real.stdout);
      expect(paths(done.removed)).toEqual(f.unreferenced);
      expect(done.freed).toBe(planned.freed);
      expect(done.freed).toBeGreaterThan(0);
      for (const p of f.unreferenced) expect(await exists(p), p).toBe(false);
      for (const p of f.referenced) expect(await exists(p), p).toBe(true);
      // The job records were rotated aside whole, in the same format.
      const logs = await readdir(h.log);
      expect(logs).not.toContain('jobs.jsonl');
      const rotated = logs.find(
        (n) => /^jobs-\d{8}T\d{9}Z-\d+-\d+\.jsonl$/.test(n) && n !== 'jobs-20261001T000000000Z-1-0.jsonl',
      );
      expect((await readFile(path.join(h.log, rotated as string), 'utf8')).split('\n').length).toBe(101);

      const verify = await jrt(h, ['verify', '--json']);
      expect(verify.exitCode, verify.stdout).toBe(0);
      // Nothing left to do.
      const again = JSON.parse(
        (await jrt(h, ['gc', '--dry-run', '--json'], { JRT_DEBIAN_MIRROR: 'http://deb.debian.org/debian' }))
          .stdout,
      );
      expect(again.removed).toEqual([]);
    } finally {
      f.liveBuild.kill();
    }
  });

  it('keeps every blob, base and artifact while a build runs, and says why', async () => {
    const f = await filled();
    const { h } = f;
    try {
      await mkdir(
        path.join(h.cache, 'tmp', `build-${(f.liveBuild as unknown as { pid: number }).pid}-00aa11bb`),
      );
      const r = JSON.parse((await jrt(h, ['gc', '--dry-run', '--json'])).stdout);
      const kept = new Map(r.kept.map((i: { path: string; reason: string }) => [i.path, i.reason]));
      expect(kept.get(path.join(h.cache, 'blobs', 'sha256', 'b'.repeat(64)))).toMatch(
        /^a build is running \(pid \d+\)$/,
      );
      expect(kept.get(path.join(h.cache, 'bases', 'trixie@deb.debian.org_debian.tar'))).toMatch(
        /^a build is running/,
      );
      expect(paths(r.removed)).not.toContain(path.join(h.cache, 'blobs', 'sha256', 'b'.repeat(64)));
    } finally {
      f.liveBuild.kill();
    }
  });

  it('an install paused between placing its new version and switching to it loses nothing to a gc meanwhile', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-gc-race-' });
    await gcConf(h, 'version_grace = 0s\n');
    const a = await makeArtifact(h.home, { name: 'demo-1', payload: 'one' });
    const b = await makeArtifact(h.home, { name: 'demo-1', payload: 'two' });
    expect((await jrt(h, ['install', a.file])).exitCode).toBe(0);
    const install = startJrt(['install', b.file], { env: { ...h.env, JRT_TEST_PAUSE_AT: 'placed' } });
    try {
      await install.stderrContains('JRT_TEST_PAUSED placed');
      const placed = (await readdir(path.join(h.root, 'demo', '.jrt')))
        .filter((n) => n.startsWith('demo-1@'))
        .map((n) => path.join(h.root, 'demo', '.jrt', n));
      expect(placed.length).toBe(2);

      const gc = await jrt(h, ['gc', '--json']);
      expect(gc.exitCode, gc.stderr).toBe(0);
      const r = JSON.parse(gc.stdout);
      expect(r.removed).toEqual([]);
      const reasons = r.kept
        .filter((i: { kind: string }) => i.kind === 'version')
        .map((i: { reason: string }) => i.reason);
      expect(reasons.some((why: string) => /^pid \d+ is installing demo-1$/.test(why))).toBe(true);
      for (const p of placed) expect(await exists(p)).toBe(true);

      process.kill(install.pid as number, 'SIGUSR2');
      const done = await install.done;
      expect(done.exitCode, done.stderr).toBe(0);
    } finally {
      // A failed expectation above must not leave the paused install behind (it waits forever).
      install.kill('SIGKILL');
    }
    expect((await jrt(h, ['verify'])).exitCode).toBe(0);
  });
});

describe('the gc pass of install and build when space is low', () => {
  it('runs under min_free and says so; not above it', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-gc-low-' });
    const blob = path.join(h.cache, 'blobs', 'sha256', 'd'.repeat(64));
    await mkdir(path.dirname(blob), { recursive: true });
    await writeFile(blob, 'unreferenced');
    const a = await makeArtifact(h.home, { name: 'demo-1' });

    // This filesystem has more than 1% free: no pass.
    await gcConf(h, 'min_free = 1%\n');
    const calm = await jrt(h, ['install', a.file]);
    expect(calm.exitCode, calm.stderr).toBe(0);
    expect(calm.stderr).not.toContain('jrt gc');
    expect(await exists(blob)).toBe(true);

    // No filesystem has 100% free: every install and build runs the pass first.
    await gcConf(h, 'min_free = 100%\n');
    const low = await jrt(h, ['install', a.file]);
    expect(low.exitCode, low.stderr).toBe(0);
    expect(low.stderr).toMatch(/has \d+% free, under min_free 100%: running jrt gc/);
    expect(low.stderr).toMatch(/jrt: gc removed 1 item\(s\), 4\.0 KiB/);
    expect(await exists(blob)).toBe(false);

    // An artifact named to install stays, even an older one of its runtime in the cache.
    await mkdir(path.join(h.cache, 'artifacts'), { recursive: true });
    const older = await makeArtifact(path.join(h.cache, 'artifacts'), {
      name: 'demo-1',
      version: '0.9',
      payload: 'old',
    });
    await utimes(older.file, new Date(Date.now() - 3 * DAY), new Date(Date.now() - 3 * DAY));
    await makeArtifact(path.join(h.cache, 'artifacts'), { name: 'demo-1', version: '1.0' });
    const named = await jrt(h, ['install', '--force', older.file]);
    expect(named.exitCode, named.stderr).toBe(0);
    expect(await exists(older.file)).toBe(true);

    await writeFile(blob, 'unreferenced');
    const build = await jrt(h, ['build', path.join(h.home, 'no-such-recipe.yml')]);
    expect(build.stderr).toMatch(/under min_free 100%: running jrt gc/);
    expect(await exists(blob)).toBe(false);
  });
});
