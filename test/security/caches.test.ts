/**
 * Package caches belong to one runtime (issue 9, item 5): java-17 and java-21 both declared the
 * volume `maven-cache` in 0.2.0, so a job of one could plant a jar the other's jobs would use, and
 * a crafted runtime could name any volume — a user's included. Root: namespaces, mounts, cgroups.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHostRuntime } from '../fixtures/runtimes/host-runtime.js';
import { type JrtHome, jrtExec, makeJrtHome, requireRoot } from '../helpers/jrt.js';

let t: JrtHome;

beforeAll(async () => {
  requireRoot();
  t = await makeJrtHome({ prefix: 'jrt-caches-' });
  // Two runtimes that both claim the cache `maven-cache`, and a crafted one that names a user's volume.
  for (const [name, version] of [
    ['jv-17', '17'],
    ['jv-21', '21'],
  ] as const) {
    await addHostRuntime(t, {
      name,
      language: 'jv',
      version,
      package_manager: { type: 'maven', cache_volume: 'maven-cache' },
    });
  }
  await addHostRuntime(t, {
    name: 'crafted-1',
    language: 'crafted',
    version: '1',
    package_manager: { type: 'pip', cache_volume: 'secrets' },
  });
});
afterAll(async () => {
  await t?.dispose();
});

describe('item 5: a package cache is its runtime’s own', () => {
  it('a jar planted through java-17’s cache is not in java-21’s', async () => {
    const plant = await jrtExec(t, [
      '--runtime=jv:17',
      '--package-cache',
      '--',
      'sh',
      '-c',
      'echo evil > /cache/planted.jar',
    ]);
    expect(plant.stderr).toBe('');
    const look = await jrtExec(t, [
      '--runtime=jv:21',
      '--package-cache',
      '--',
      'sh',
      '-c',
      'ls /cache; cat /cache/planted.jar 2>&1',
    ]);
    expect(look.stdout).not.toContain('evil');
    expect(existsSync(path.join(t.state, 'package-caches', 'jv-17', 'planted.jar'))).toBe(true);
    expect(existsSync(path.join(t.state, 'package-caches', 'jv-21', 'planted.jar'))).toBe(false);
  });

  it('a runtime naming a user’s volume as its cache does not get that volume', async () => {
    const user = await jrtExec(t, [
      '--runtime=jv:17',
      '--volume',
      'secrets:/data',
      '--',
      'sh',
      '-c',
      'echo token > /data/t',
    ]);
    expect(user.stderr).toBe('');
    const r = await jrtExec(t, [
      '--runtime=crafted:1',
      '--package-cache',
      '--',
      'sh',
      '-c',
      'cat /cache/t 2>&1; ls /cache',
    ]);
    expect(r.stdout).not.toContain('token');
    expect(await readFile(path.join(t.state, 'volumes', 'secrets', 't'), 'utf8')).toBe('token\n');
  });
});
