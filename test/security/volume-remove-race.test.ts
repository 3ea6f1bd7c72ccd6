/**
 * `jrt volume remove` racing a job that records itself late, and gc's removal of a `.removing-*`
 * volume while a job still mounts it (both found by review): nothing a running job uses is removed,
 * and data the remover set aside is never left where gc takes it.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { planGc } from '../../src/disk/gc-plan.js';
import { GC_DEFAULTS } from '../../src/disk/settings.js';
import type { DiskSnapshot } from '../../src/disk/snapshot.js';
import { tempDir } from '../helpers/temp.js';

// The interleaving: the first two reads of the running jobs see nothing; by the third (the "late"
// check after the rename) job A, which opened the volume before the rename, has recorded itself, and
// job B, started after the rename, has made a fresh `data` and written into it.
const calls = { n: 0, onLate: async () => {} };
vi.mock('../../src/runner/jobs.js', async (orig) => {
  const real = (await orig()) as typeof import('../../src/runner/jobs.js');
  return {
    ...real,
    runningJobs: async () => {
      calls.n++;
      if (calls.n < 3) return [];
      await calls.onLate();
      return [
        {
          id: 'job-a',
          pid: process.pid,
          runtime: 'tool-1',
          volumes: ['data'],
          start: new Date().toISOString(),
        },
      ];
    },
  };
});

afterEach(() => {
  calls.n = 0;
});

describe('jrt volume remove vs a late job', () => {
  it('refuses with "nothing was removed", and a volume a job re-made meanwhile keeps the old data aside, named, where gc never takes it', async () => {
    const { removeVolume } = await import('../../src/disk/volumes.js');
    const state = await tempDir('jrt-vol-late-');
    const vol = path.join(state, 'volumes', 'data');
    await mkdir(vol, { recursive: true });
    await writeFile(path.join(vol, 'precious'), 'job A data');
    calls.onLate = async () => {
      // job B: openVolume() mkdirs a fresh `data` and the job writes into it
      await mkdir(vol, { recursive: true });
      await writeFile(path.join(vol, 'b'), 'job B data');
    };
    const err = await removeVolume({ state }, 'data').then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(err?.code).toBe('ERR_JRT_VOLUME_IN_USE');
    const kept = `.kept-${process.pid}-data`;
    expect(err?.message).toContain(
      `nothing was removed: its data is at ${path.join(state, 'volumes', kept)}`,
    );
    expect((await readdir(path.join(state, 'volumes'))).sort()).toEqual([kept, 'data']);
    expect(await readFile(path.join(state, 'volumes', kept, 'precious'), 'utf8')).toBe('job A data');
    expect(await readFile(path.join(vol, 'b'), 'utf8')).toBe('job B data');
  });

  it('with no new volume made meanwhile, puts it back under its name', async () => {
    const { removeVolume } = await import('../../src/disk/volumes.js');
    const state = await tempDir('jrt-vol-late-');
    const vol = path.join(state, 'volumes', 'data');
    await mkdir(vol, { recursive: true });
    await writeFile(path.join(vol, 'precious'), 'job A data');
    calls.onLate = async () => {};
    await expect(removeVolume({ state }, 'data')).rejects.toMatchObject({ code: 'ERR_JRT_VOLUME_IN_USE' });
    expect(await readdir(path.join(state, 'volumes'))).toEqual(['data']);
    expect(await readFile(path.join(vol, 'precious'), 'utf8')).toBe('job A data');
  });
});

describe('gc and a volume renamed aside that a running job still mounts', () => {
  it('keeps .removing-PID-NAME while a running job records NAME', () => {
    const NOW = Date.UTC(2026, 11, 2);
    const s: DiskSnapshot = {
      nowMs: NOW,
      alive: (pid) => pid === 4242,
      runtimes: [],
      versionDirs: [],
      blobs: [],
      artifacts: [],
      bases: [],
      temp: [],
      volumeDebris: [
        {
          path: '/s/volumes/.removing-999999-data',
          name: '.removing-999999-data',
          bytes: 4096,
          mtimeMs: NOW,
        },
      ],
      logs: [],
      recipes: { dir: '/r', blobs: new Set(), bases: new Set(), problems: [] },
      installing: [],
      jobs: [{ pid: 4242, runtime: 'tool-1', volumes: ['data'] }],
      mounts: [],
    };
    const item = planGc(s, GC_DEFAULTS).items.find((i) => i.kind === 'volume');
    expect(item?.action).toBe('keep');
  });
});
