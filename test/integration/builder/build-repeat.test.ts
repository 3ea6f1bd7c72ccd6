/**
 * The builder's promises: the same recipe and lock build the same artifact, byte for byte (the
 * second time under --locked --offline, from the cache alone); --locked refuses a recipe that changed
 * after its lock; --offline with an empty cache fails clearly; and the host is unchanged by building.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeJrtHome, requireRoot } from '../../helpers/jrt.js';
import { expectCleanFailure, jrtAsync, list, placeRecipe, removeTestHome } from './build-harness.js';

let home: string;
let env: NodeJS.ProcessEnv;
let cache: string;
let recipeDir: string;
let recipe: string;
let lockFile: string;
let hostBefore: { packages: string; usr: string };

/**
 * What a build must not change on the host: the installed packages, and every entry of /usr by
 * path, type, size, mode, owner, mtime and link target (metadata, not contents: 5 GB is too slow
 * to read, and any write through the filesystem moves an mtime).
 */
function hostState() {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format
  const format = '${Package} ${Version} ${Status}\\n';
  const packages = execFileSync('dpkg-query', ['-W', '-f', format], {
    encoding: 'utf8',
  });
  const listing = execFileSync('find', ['/usr', '-xdev', '-printf', '%p %y %s %m %U %G %T@ %l\\n'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return { packages, usr: createHash('sha256').update(listing).digest('hex') };
}

interface Built {
  name: string;
  artifact: string;
  sha256: string;
  lock: string;
  lock_changed: boolean;
}

beforeAll(async () => {
  requireRoot();
  hostBefore = hostState();
  ({ home, env } = await makeJrtHome());
  cache = env.JRT_CACHE as string;
  recipeDir = path.join(home, 'recipes');
  mkdirSync(recipeDir, { recursive: true });
  recipe = placeRecipe('tiny.yml', recipeDir);
  lockFile = path.join(recipeDir, 'tiny-1.lock.json');
});

afterAll(() => {
  if (home) removeTestHome(home);
});

const fileSha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('jrt build: repeatable, locked, offline', { timeout: 240_000 }, () => {
  let first: Built;

  it('builds the recipe and writes its lock', async () => {
    const out = path.join(home, 'out1');
    const r = await jrtAsync(['build', recipe, '--out', out, '--json'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    first = (JSON.parse(r.stdout).artifacts as Built[])[0] as Built;
    expect(first).toMatchObject({ name: 'tiny-1', lock: lockFile, lock_changed: true });
    expect(first.artifact).toBe(path.join(out, 'tiny-1-1.0.jrt.tar.gz'));
    expect(fileSha256(first.artifact)).toBe(first.sha256);
    expect(list(out)).toEqual(['tiny-1-1.0.jrt.tar.gz']);
    expect(list(path.join(cache, 'tmp'))).toEqual([]);
  });

  it('builds it again, --locked --offline from the cache alone, into the same bytes', async () => {
    const lockBefore = readFileSync(lockFile, 'utf8');
    const out = path.join(home, 'out2');
    const r = await jrtAsync(['build', recipe, '--out', out, '--locked', '--offline', '--json'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const second = (JSON.parse(r.stdout).artifacts as Built[])[0] as Built;
    expect(second.lock_changed).toBe(false);
    expect(second.artifact).toBe(path.join(out, 'tiny-1-1.0.jrt.tar.gz'));
    expect(second.sha256).toBe(first.sha256);
    expect(fileSha256(second.artifact)).toBe(fileSha256(first.artifact));
    expect(readFileSync(lockFile, 'utf8')).toBe(lockBefore);
  });

  it('builds the same bytes from the same lock in a fresh cache, on a base root made anew', async () => {
    const other = await makeJrtHome();
    try {
      const dir = path.join(other.home, 'recipes');
      mkdirSync(dir, { recursive: true });
      const copy = placeRecipe('tiny.yml', dir);
      copyFileSync(lockFile, path.join(dir, 'tiny-1.lock.json'));
      const out = path.join(other.home, 'out');
      const r = await jrtAsync(['build', copy, '--out', out, '--locked', '--json'], { env: other.env });
      expect(r.exitCode, r.stderr).toBe(0);
      const third = (JSON.parse(r.stdout).artifacts as Built[])[0] as Built;
      expect(third.sha256).toBe(first.sha256);
      expect(fileSha256(third.artifact)).toBe(first.sha256);
    } finally {
      removeTestHome(other.home);
    }
  });

  // The build's root (an unprivileged host uid) needs the cache first, so the build stops before its
  // smoke tests would (ERR_JRT_SMOKE_UNREACHABLE, the job user's): at unpacking the cached base.
  it('a cache the build user cannot reach fails the build clearly before unpacking, naming the private directory', async () => {
    const out = path.join(home, 'out-private');
    chmodSync(home, 0o700);
    try {
      const r = await jrtAsync(['build', recipe, '--out', out, '--locked', '--offline', '--json'], { env });
      expectCleanFailure(r, { home, cache, out }, 1);
      const e = JSON.parse(r.stdout).error;
      expect(e.code).toBe('ERR_JRT_BUILD_UNREACHABLE');
      expect(e.message).toContain(`${home} (mode 0700, owner uid 0) does not let it pass`);
    } finally {
      chmodSync(home, 0o755);
    }
  });

  it('--locked refuses a recipe whose packages changed after its lock, and leaves the lock alone', async () => {
    const dir = path.join(home, 'changed');
    const out = path.join(dir, 'out');
    mkdirSync(out, { recursive: true });
    const changed = placeRecipe('tiny-changed.yml', dir, {}, 'tiny.yml');
    const changedLock = path.join(dir, 'tiny-1.lock.json');
    copyFileSync(lockFile, changedLock);
    const r = await jrtAsync(['build', changed, '--out', out, '--locked', '--json'], { env });
    expectCleanFailure(r, { home, cache, out }, 1);
    const e = JSON.parse(r.stdout).error;
    expect(e.code).toBe('ERR_JRT_LOCK_DRIFT');
    expect(e.message).toContain(changedLock);
    expect(e.hint).toContain("run 'jrt lock'");
    expect(readFileSync(changedLock, 'utf8')).toBe(readFileSync(lockFile, 'utf8'));
  });

  it('--locked without a lock: exit 2 naming the missing lock file', async () => {
    const dir = path.join(home, 'unlocked');
    const out = path.join(dir, 'out');
    mkdirSync(out, { recursive: true });
    const r = await jrtAsync(['build', placeRecipe('tiny.yml', dir), '--out', out, '--locked', '--json'], {
      env,
    });
    expectCleanFailure(r, { home, cache, out }, 2);
    const e = JSON.parse(r.stdout).error;
    expect(e.code).toBe('ERR_JRT_LOCK_MISSING');
    expect(e.message).toBe(`--locked: ${path.join(dir, 'tiny-1.lock.json')} does not exist`);
  });

  it('--offline with an empty cache fails naming what is missing, and fetches nothing', async () => {
    const empty = await makeJrtHome();
    try {
      const dir = path.join(empty.home, 'recipes');
      const out = path.join(empty.home, 'out');
      mkdirSync(out, { recursive: true });
      mkdirSync(dir, { recursive: true });
      const offlineRecipe = placeRecipe('tiny.yml', dir);
      copyFileSync(lockFile, path.join(dir, 'tiny-1.lock.json'));
      const emptyCache = empty.env.JRT_CACHE as string;
      const r = await jrtAsync(['build', offlineRecipe, '--out', out, '--offline', '--json'], {
        env: empty.env,
      });
      expectCleanFailure(r, { home: empty.home, cache: emptyCache, out }, 1);
      const e = JSON.parse(r.stdout).error;
      expect(e.code).toBe('ERR_JRT_OFFLINE_MISSING');
      expect(e.message).toContain('--offline: no cached base root for bookworm');
      expect(list(emptyCache).filter((d) => d !== 'tmp')).toEqual([]);
    } finally {
      removeTestHome(empty.home);
    }
  });

  it('left the host as it was: the same packages and the same /usr', () => {
    const after = hostState();
    expect(after.packages).toBe(hostBefore.packages);
    expect(after.usr).toBe(hostBefore.usr);
  });
});
