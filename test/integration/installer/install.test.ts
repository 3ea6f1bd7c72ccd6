/** The install pipeline in-process, with a fake builder that packs a fixture tree with packArtifact. */
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JrtPaths } from '../../../src/core/paths.js';
import type { ProgressEvent } from '../../../src/core/progress.js';
import type { BuildRuntime } from '../../../src/installer/builder.js';
import { type InstallOptions, installTargets } from '../../../src/installer/install.js';
import { resolveRuntimeDir } from '../../../src/installer/layout.js';
import { acquireLock } from '../../../src/installer/lock.js';
import { verifyRuntime } from '../../../src/installer/verify.js';
import { fakeRunningJob } from '../../helpers/jobs.js';
import { makeArtifact, runtimeVersionDirs, tempDir, tempJrtPaths } from '../../unit/artifact/fixture.js';

const paths = (): Promise<JrtPaths> => tempJrtPaths('jrt-inst-');

function options(p: JrtPaths, build: BuildRuntime, events: ProgressEvent[] = []): InstallOptions {
  return {
    paths: p,
    env: {},
    force: false,
    offline: true,
    locked: true,
    onProgress: (e) => events.push(e),
    build,
    note: () => {},
  };
}

describe('installTargets with a builder', () => {
  it('builds a recipe target through the injected builder and installs its artifact', async () => {
    const p = await paths();
    const calls: { recipeFile: string; offline: boolean; locked: boolean }[] = [];
    const build: BuildRuntime = async (req) => {
      calls.push({ recipeFile: req.recipeFile, offline: req.offline, locked: req.locked });
      await mkdir(p.cache, { recursive: true });
      const { file, manifest } = await makeArtifact(p.cache, {
        name: 'node-18',
        language: 'node',
        version: '18.20.8',
      });
      return { artifact: file, manifest };
    };
    const events: ProgressEvent[] = [];
    const [r] = await installTargets(
      [{ kind: 'recipe', name: 'node-18', language: 'node', file: '/recipes/node-18.yml' }],
      options(p, build, events),
    );
    expect(calls).toEqual([{ recipeFile: '/recipes/node-18.yml', offline: true, locked: true }]);
    expect(r).toMatchObject({ name: 'node-18', result: 'installed', language: 'node' });
    expect((await verifyRuntime(path.join(p.root, 'node', 'node-18'))).ok).toBe(true);
    const phases = events.filter((e) => e.type === 'phase-end').map((e) => (e as { phase: string }).phase);
    expect(phases).toEqual([
      'build',
      'read manifest',
      'pre-check',
      'lock',
      'extract',
      'switch',
      'remove old versions',
    ]);
  });

  it('a failing build is reported as failed and the other targets still install', async () => {
    const p = await paths();
    const outDir = await tempDir();
    const good = await makeArtifact(outDir);
    const build: BuildRuntime = async () => {
      throw new (await import('../../../src/core/errors.js')).JrtError(
        'ERR_JRT_BUILD_FAILED',
        'step 2 failed',
      );
    };
    const rs = await installTargets(
      [
        { kind: 'recipe', name: 'java-17', language: 'java', file: '/r/java-17.yml' },
        { kind: 'artifact', file: good.file },
      ],
      options(p, build),
    );
    expect(rs.map((r) => [r.name, r.result, r.code])).toEqual([
      ['java-17', 'failed', 'ERR_JRT_BUILD_FAILED'],
      ['demo-1', 'installed', undefined],
    ]);
  });

  it('keeps an old version a running job uses, and the next install removes it once the job is gone', async () => {
    const p = await paths();
    const outDir = await tempDir();
    const v1 = await makeArtifact(outDir, { payload: 'one' });
    const v2 = await makeArtifact(outDir, { payload: 'two' });
    const v3 = await makeArtifact(outDir, { payload: 'three' });
    const o = options(p, async () => {
      throw new Error('no builds here');
    });
    await installTargets([{ kind: 'artifact', file: v1.file }], o);
    const oldDir = await resolveRuntimeDir(path.join(p.root, 'demo', 'demo-1'));
    const job = await fakeRunningJob(p.state, oldDir);
    try {
      await installTargets([{ kind: 'artifact', file: v2.file }], o);
      const vers = await runtimeVersionDirs(path.join(p.root, 'demo', '.jrt'));
      expect(vers).toHaveLength(2);
      expect(vers).toContain(path.basename(oldDir));
    } finally {
      await job.end();
    }
    await installTargets([{ kind: 'artifact', file: v3.file }], o);
    expect(await runtimeVersionDirs(path.join(p.root, 'demo', '.jrt'))).toHaveLength(1);
  });
});

describe('jobs that recorded only the runtime name directory', () => {
  it('keep every version of that runtime until they end', async () => {
    const p = await paths();
    const outDir = await tempDir();
    const v1 = await makeArtifact(outDir, { payload: 'one' });
    const v2 = await makeArtifact(outDir, { payload: 'two' });
    const o = options(p, async () => {
      throw new Error('no builds here');
    });
    await installTargets([{ kind: 'artifact', file: v1.file }], o);
    const namePath = path.join(p.root, 'demo', 'demo-1');
    const job = await fakeRunningJob(p.state, namePath);
    try {
      await installTargets([{ kind: 'artifact', file: v2.file }], o);
      expect(await runtimeVersionDirs(path.join(p.root, 'demo', '.jrt'))).toHaveLength(2);
    } finally {
      await job.end();
    }
    const { cleanDebris } = await import('../../../src/installer/place.js');
    const removed = await cleanDebris(p.root, p.state);
    expect(removed).toHaveLength(1);
    expect(await runtimeVersionDirs(path.join(p.root, 'demo', '.jrt'))).toHaveLength(1);
    expect((await verifyRuntime(path.join(p.root, 'demo', 'demo-1'))).ok).toBe(true);
  });
});

describe('acquireLock', () => {
  it('takes over a lock whose pid is dead, and times out on a live holder', async () => {
    const state = await tempDir();
    await mkdir(path.join(state, 'locks'));
    const dead = spawn('true');
    await new Promise((r) => dead.on('close', r));
    await writeFile(path.join(state, 'locks', 'x.lock'), `${dead.pid}\n`);
    const release = await acquireLock(state, 'x');
    const waits: number[] = [];
    await expect(
      acquireLock(state, 'x', { timeoutMs: 300, onWait: (pid) => waits.push(pid) }),
    ).rejects.toThrow(/another jrt \(pid \d+\) is installing x/);
    expect(waits).toEqual([process.pid]);
    const other = await acquireLock(state, 'y', { timeoutMs: 0 });
    await other();
    await release();
    expect(await readdir(path.join(state, 'locks'))).toEqual([]);
  });
});

describe('lock holder identity', () => {
  it('treats a live pid with another start time as stale (pid reuse)', async () => {
    const { holderAlive, processStartTime } = await import('../../../src/core/pid.js');
    const mine = processStartTime(process.pid);
    expect(mine).toMatch(/^\d+$/);
    expect(holderAlive(`${process.pid} ${mine}`)).toBe(true);
    expect(holderAlive(`${process.pid}`)).toBe(true);
    expect(holderAlive(`${process.pid} 1`)).toBe(false);
    const state = await tempDir();
    await mkdir(path.join(state, 'locks'));
    await writeFile(path.join(state, 'locks', 'z.lock'), `${process.pid} 1\n`);
    const release = await acquireLock(state, 'z', { timeoutMs: 0 });
    await release();
  });
});

describe('artifacts with a broken runtime.yml', () => {
  it('fail as ERR_JRT_ARTIFACT_CORRUPT (not as a bug) for bad YAML or a name differing from the manifest', async () => {
    const { manifestFor, rawTarGz } = await import('../../unit/artifact/fixture.js');
    const { serializeManifest } = await import('../../../src/artifact/manifest.js');
    const p = await paths();
    const out = await tempDir();
    const o = options(p, async () => {
      throw new Error('unused');
    });
    const results = [];
    for (const [i, body] of ['name: [unclosed\n', 'name: other\nlanguage: demo\n'].entries()) {
      const entries = [{ path: 'runtime.yml', type: 'File' as const, body }];
      const file = path.join(out, `bad${i}.jrt.tar.gz`);
      await writeFile(
        file,
        rawTarGz([
          { path: 'manifest.json', type: 'File', body: serializeManifest(manifestFor(entries, 'demo-1')) },
          ...entries,
        ]),
      );
      results.push(...(await installTargets([{ kind: 'artifact', file }], o)));
    }
    expect(results.map((r) => [r.result, r.code])).toEqual([
      ['failed', 'ERR_JRT_ARTIFACT_CORRUPT'],
      ['failed', 'ERR_JRT_ARTIFACT_CORRUPT'],
    ]);
    expect(results[0]?.error).toMatch(/runtime.yml is not valid YAML/);
    expect(results[1]?.error).toMatch(/runtime.yml names 'other', the manifest 'demo-1'/);
  });
});

describe('reinstalling a version a running job still uses', () => {
  it('does not delete or reuse that directory', async () => {
    const p = await paths();
    const outDir = await tempDir();
    const v1 = await makeArtifact(outDir, { payload: 'one' });
    const v2 = await makeArtifact(outDir, { payload: 'two' });
    const o = options(p, async () => {
      throw new Error('no builds here');
    });
    await installTargets([{ kind: 'artifact', file: v1.file }], o);
    const v1Dir = await resolveRuntimeDir(path.join(p.root, 'demo', 'demo-1'));
    const job = await fakeRunningJob(p.state, v1Dir);
    try {
      await installTargets([{ kind: 'artifact', file: v2.file }], o);
      const [back] = await installTargets([{ kind: 'artifact', file: v1.file }], o);
      expect(back?.result).toBe('installed');
      const now = await resolveRuntimeDir(path.join(p.root, 'demo', 'demo-1'));
      expect(now).not.toBe(v1Dir);
      expect(path.basename(now).startsWith(`${path.basename(v1Dir)}~`)).toBe(true);
      expect((await verifyRuntime(v1Dir)).ok).toBe(true);
    } finally {
      await job.end();
    }
    // v1 is live under its new name, so installing it again is a no-op.
    const [again] = await installTargets([{ kind: 'artifact', file: v1.file }], o);
    expect(again?.result).toBe('unchanged');
  });
});
