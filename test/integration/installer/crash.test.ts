/**
 * kill -9 at the instants that matter, through the test-only JRT_TEST_PAUSE_AT hook of the bundle:
 * the runtime name must always resolve to a complete runtime that verifies, and the next run cleans up.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JrtHome, jrt, killJrtAt, makeJrtHome, startJrt } from '../../helpers/jrt.js';
import { makeArtifact, runtimeVersionDirs } from '../../unit/artifact/fixture.js';

/**
 * How Joblet finds runtimes (internal/joblet/runtime/resolver.go): os.ReadDir of the root, of each
 * directory entry, and runtime.yml in each directory entry below — symlinked entries are skipped
 * because DirEntry.IsDir() is false for them. readdir withFileTypes has the same d_type semantics.
 */
async function jobletScan(root: string): Promise<{ path: string; name: string }[]> {
  const { readdir: rd, readFile: rf } = await import('node:fs/promises');
  const found: { path: string; name: string }[] = [];
  for (const a of await rd(root, { withFileTypes: true })) {
    if (!a.isDirectory()) continue;
    for (const b of await rd(path.join(root, a.name), { withFileTypes: true })) {
      if (!b.isDirectory()) continue;
      const yml = await rf(path.join(root, a.name, b.name, 'runtime.yml'), 'utf8').catch(() => undefined);
      if (yml !== undefined)
        found.push({ path: path.join(root, a.name, b.name), name: /^name: (.*)$/m.exec(yml)?.[1] ?? '' });
    }
  }
  return found.sort((x, y) => x.path.localeCompare(y.path));
}

/** The spec directory jrt keeps for Joblet next to demo-1 (docs/joblet.md: spec entries). */
const SPEC_DIR = (root: string) => ({
  path: path.join(root, 'demo', 'demo:1.0+test'),
  name: '"demo:1.0+test"',
});

async function hello(sb: JrtHome): Promise<string> {
  return readFile(path.join(sb.root, 'demo', 'demo-1', 'rootfs/usr/bin/hello'), 'utf8');
}

const points = [
  { point: 'staged', survivor: 'one' },
  { point: 'placed', survivor: 'one' },
  { point: 'switching', survivor: 'one' },
  { point: 'switched', survivor: 'two' },
] as const;

describe('kill -9 during an upgrade', () => {
  for (const { point, survivor } of points) {
    it(`killed at '${point}': the ${survivor === 'one' ? 'previous' : 'new'} runtime verifies; the next run cleans up`, async () => {
      const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
      const v1 = await makeArtifact(sb.home, { payload: 'one' });
      const v2 = await makeArtifact(sb.home, { payload: 'two' });
      expect((await jrt(sb, ['install', v1.file])).exitCode).toBe(0);
      const killed = await killJrtAt(sb, ['install', v2.file], point);
      expect(killed.signal).toBe('SIGKILL');
      const v = await jrt(sb, ['verify', 'demo-1']);
      expect(v.stdout).toBe('demo-1: ok\n');
      expect(v.exitCode).toBe(0);
      expect(await hello(sb)).toContain(`hello ${survivor}`);
      // What Joblet would see right now: exactly the one runtime (and its spec directory, which Joblet
      // resolves `demo:1.0+test` by), never a staged or half-placed copy.
      expect(await jobletScan(sb.root)).toEqual([
        { path: path.join(sb.root, 'demo', 'demo-1'), name: 'demo-1' },
        SPEC_DIR(sb.root),
      ]);

      // The next run finishes the job and leaves no debris.
      const again = await jrt(sb, ['install', v2.file, '--json']);
      expect(again.exitCode).toBe(0);
      expect(JSON.parse(again.stdout).runtimes[0].result).toBe(
        survivor === 'one' ? 'installed' : 'unchanged',
      );
      expect(await hello(sb)).toContain('hello two');
      expect(await readdir(path.join(sb.root, '.jrt-staging'))).toEqual([]);
      expect((await readdir(path.join(sb.root, 'demo'))).sort()).toEqual(['.jrt', 'demo-1', 'demo:1.0+test']);
      expect((await readdir(path.join(sb.root, 'demo', 'demo-1'))).sort()).toEqual([
        '.jrt-current',
        'manifest.json',
        'rootfs',
        'runtime.json',
        'runtime.yml',
      ]);
      const live = await readlink(path.join(sb.root, 'demo', 'demo-1', '.jrt-current'));
      expect(await runtimeVersionDirs(path.join(sb.root, 'demo', '.jrt'))).toEqual([path.basename(live)]);
      expect(await readdir(path.join(sb.state, 'locks'))).toEqual([]);
    });
  }

  it('killed during a first install, the name does not exist at all (never half a runtime)', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const v1 = await makeArtifact(sb.home);
    await killJrtAt(sb, ['install', v1.file], 'switching');
    const list = await jrt(sb, ['list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(await jobletScan(sb.root)).toEqual([]);
    expect((await jrt(sb, ['install', v1.file])).exitCode).toBe(0);
    expect((await jrt(sb, ['verify'])).exitCode).toBe(0);
    // The killed run's placed version and its half-built name directory are gone.
    expect(await runtimeVersionDirs(path.join(sb.root, 'demo', '.jrt'))).toHaveLength(1);
  });
});

describe("kill -9 while Joblet's spec entries are made", () => {
  it('between the spec directories and the spec links: the runtime verifies, and the next run completes the entries', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const v1 = await makeArtifact(sb.home);
    const killed = await killJrtAt(sb, ['install', v1.file], 'spec-dirs');
    expect(killed.signal).toBe('SIGKILL');
    expect((await jrt(sb, ['verify', 'demo-1'])).stdout).toBe('demo-1: ok\n');
    expect(await jobletScan(sb.root)).toEqual([
      { path: path.join(sb.root, 'demo', 'demo-1'), name: 'demo-1' },
      SPEC_DIR(sb.root),
    ]);
    expect((await readdir(sb.root)).sort()).toEqual(['.jrt-staging', 'demo']);
    const again = await jrt(sb, ['install', v1.file, '--json']);
    expect(JSON.parse(again.stdout).runtimes[0].result).toBe('unchanged');
    expect(await readlink(path.join(sb.root, 'demo-1'))).toBe('demo/demo-1');
    expect(await readlink(path.join(sb.root, 'demo:1.0+test'))).toBe('demo/demo-1');
    expect(await readdir(path.join(sb.root, '.jrt-staging'))).toEqual([]);
    expect(await readdir(path.join(sb.state, 'locks'))).toEqual([]);
  });
});

describe('concurrent installs of the same runtime', () => {
  it('two at once end with one clean runtime: one installed, one unchanged', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const v = await makeArtifact(sb.home);
    const [a, b] = await Promise.all([
      jrt(sb, ['install', v.file, '--json']),
      jrt(sb, ['install', v.file, '--json']),
    ]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const results = [a, b].map((r) => JSON.parse(r.stdout).runtimes[0].result).sort();
    expect(results).toEqual(['installed', 'unchanged']);
    expect((await jrt(sb, ['verify'])).exitCode).toBe(0);
    expect(await runtimeVersionDirs(path.join(sb.root, 'demo', '.jrt'))).toHaveLength(1);
  });

  it('different runtimes of one language install side by side', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const a = await makeArtifact(sb.home, { name: 'demo-1' });
    // Another version: the same language, version and tags would be one identity claimed twice.
    const b = await makeArtifact(sb.home, { name: 'demo-2', version: '2.0' });
    const [ra, rb] = await Promise.all([
      jrt(sb, ['install', a.file, '--json']),
      jrt(sb, ['install', b.file, '--json']),
    ]);
    expect([ra.exitCode, rb.exitCode]).toEqual([0, 0]);
    expect([JSON.parse(ra.stdout).runtimes[0].result, JSON.parse(rb.stdout).runtimes[0].result]).toEqual([
      'installed',
      'installed',
    ]);
    expect(await jobletScan(sb.root)).toEqual([
      { path: path.join(sb.root, 'demo', 'demo-1'), name: 'demo-1' },
      { path: path.join(sb.root, 'demo', 'demo-2'), name: 'demo-2' },
      SPEC_DIR(sb.root),
      { path: path.join(sb.root, 'demo', 'demo:2.0+test'), name: '"demo:2.0+test"' },
    ]);
    expect((await jrt(sb, ['verify'])).stdout).toBe('demo-1: ok\ndemo-2: ok\n');
  });

  it('two runtimes claiming one identity at once: the one that switches second is refused under the identity lock', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    // demo-1 and demo-2 are both demo 1.0 [test]: one `--runtime=demo:1.0+test`, two claims.
    const a = await makeArtifact(sb.home, { name: 'demo-1' });
    const b = await makeArtifact(sb.home, { name: 'demo-2' });
    // demo-1 passes its pre-check (nothing installed yet) and pauses, extracted, before its switch.
    const first = startJrt(['install', a.file, '--json'], {
      env: { ...sb.env, JRT_TEST_PAUSE_AT: 'staged' },
    });
    await first.stderrContains('JRT_TEST_PAUSED staged');
    const second = await jrt(sb, ['install', b.file, '--json']);
    expect(second.exitCode, second.stderr).toBe(0);
    first.kill('SIGUSR2');
    const r = await first.done;
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout).runtimes[0];
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_RUNTIME_CONFLICT' });
    expect(out.error).toContain(
      `language demo, version 1.0 and tags [test] are also those of the installed runtime demo-2 (${path.join(sb.root, 'demo', 'demo-2')})`,
    );
    expect(await jobletScan(sb.root)).toEqual([
      { path: path.join(sb.root, 'demo', 'demo-2'), name: 'demo-2' },
      SPEC_DIR(sb.root),
    ]);
    expect(await readdir(path.join(sb.root, '.jrt-staging'))).toEqual([]);
    expect(await readdir(path.join(sb.state, 'locks'))).toEqual([]);
  });

  it('a remove that waited for the lock while install --force switched the runtime removes nothing', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const v = await makeArtifact(sb.home);
    expect((await jrt(sb, ['install', v.file])).exitCode).toBe(0);
    // The install holds the lock, paused before its switch; the remove resolves the runtime and waits.
    const install = startJrt(['install', '--force', v.file, '--json'], {
      env: { ...sb.env, JRT_TEST_PAUSE_AT: 'staged' },
    });
    await install.stderrContains('JRT_TEST_PAUSED staged');
    const remove = startJrt(['runtime', 'remove', 'demo-1', '--json'], { env: sb.env });
    await remove.stderrContains(`waiting for pid ${install.pid}`);
    install.kill('SIGUSR2');
    const [ri, rr] = await Promise.all([install.done, remove.done]);
    expect(ri.exitCode, ri.stderr).toBe(0);
    expect(JSON.parse(ri.stdout).runtimes[0].result).toBe('installed');
    // Not both "succeed" with the runtime gone: the remove saw another version than it resolved.
    expect(rr.exitCode).toBe(1);
    expect(JSON.parse(rr.stdout).error).toMatchObject({ code: 'ERR_JRT_RUNTIME_CHANGED' });
    expect(rr.stderr).toContain('nothing was removed');
    expect(await jrt(sb, ['verify', 'demo-1'])).toMatchObject({ exitCode: 0, stdout: 'demo-1: ok\n' });
    // Asked again, it removes what is installed now.
    expect((await jrt(sb, ['runtime', 'remove', 'demo-1'])).exitCode).toBe(0);
    expect(await readdir(path.join(sb.root, 'demo'))).toEqual(['.jrt']);
  });

  it('a second install waits for the lock holder and takes over its stale lock once it is killed', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const v = await makeArtifact(sb.home);
    // A holds the lock, paused after staging.
    const a = startJrt(['install', v.file], { env: { ...sb.env, JRT_TEST_PAUSE_AT: 'staged' } });
    await a.stderrContains('JRT_TEST_PAUSED staged');
    const b = startJrt(['install', v.file], { env: sb.env });
    // Kill A only once B says it is waiting for A's lock.
    await b.stderrContains(`waiting for pid ${a.pid}`);
    a.kill('SIGKILL');
    expect((await a.done).signal).toBe('SIGKILL');
    const rb = await b.done;
    expect(rb.exitCode).toBe(0);
    expect(rb.stdout).toMatch(/\ndemo-1\s+installed\s/);
    expect((await jrt(sb, ['verify'])).exitCode).toBe(0);
    // A's staging debris was removed by the next run (B cleans only dead owners').
    const again = await jrt(sb, ['install', v.file]);
    expect(again.exitCode).toBe(0);
    expect(await readdir(path.join(sb.root, '.jrt-staging'))).toEqual([]);
  });
});
