/**
 * What happens inside the build root when it goes wrong: a failing step, a runtime that lacks a
 * library, and Ctrl-C while a step runs. Each is a real `jrt build` of a tiny bookworm recipe; the
 * lock is resolved once and shared, so every case costs one base unpack.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_ID_BASE, BUILD_ID_COUNT } from '../../../src/builder/userns.js';
import { type JrtResult, makeJrtHome, requireRoot } from '../../helpers/jrt.js';
import {
  commOf,
  descendants,
  expectCleanFailure,
  expectNoLeftovers,
  isRunning,
  jrtAsync,
  list,
  mountsUnder,
  placeRecipe,
  removeTestHome,
  startJrt,
  waitFor,
} from './build-harness.js';

let home: string;
let env: NodeJS.ProcessEnv;
let cache: string;
let sharedLock: string;

beforeAll(async () => {
  requireRoot();
  ({ home, env } = await makeJrtHome());
  cache = env.JRT_CACHE as string;
  // Steps, paths and strip rules are not inputs of the lock: every recipe here shares tiny's lock.
  const dir = path.join(home, 'lock');
  mkdirSync(dir);
  const r = await jrtAsync(['lock', placeRecipe('tiny.yml', dir), '--json'], { env });
  if (r.exitCode !== 0) throw new Error(`jrt lock tiny.yml failed (${r.exitCode}): ${r.stderr}`);
  sharedLock = path.join(dir, 'tiny-1.lock.json');
}, 240_000);

afterAll(() => {
  if (home) removeTestHome(home);
});

/** A case dir holding the recipe (with the shared lock next to it) and an empty --out dir. */
function setUp(fixture: string) {
  const dir = path.join(home, path.basename(fixture, '.yml'));
  const out = path.join(dir, 'out');
  mkdirSync(out, { recursive: true });
  const recipe = placeRecipe(fixture, dir);
  copyFileSync(sharedLock, path.join(path.dirname(recipe), 'tiny-1.lock.json'));
  return { dir, out, recipe, ctx: { home, cache, out } };
}

function errorOf(stdout: string): { code: string; message: string; hint?: string } {
  return JSON.parse(stdout).error;
}

describe('jrt build: failures inside the build root', { timeout: 180_000 }, () => {
  it('a failing step is named, with its status, its last lines and the log path', async () => {
    const { recipe, out, ctx } = setUp('step-fails.yml');
    const r = await jrtAsync(['build', recipe, '--out', out, '--json'], { env });
    expectCleanFailure(r, ctx, 1);
    const e = errorOf(r.stdout);
    expect(e.code).toBe('ERR_JRT_BUILD_STEP');
    expect(e.message).toContain("step 'configure the widget' exited with status 3");
    // Both streams, in order: stdout's line is not lost behind stderr's.
    expect(e.message).toMatch(/checking for widgets\.\.\. none\n.*widget configuration is impossible/);
    expect(e.message).not.toContain('bwrap');
    const logFile = /full log: (\S+)/.exec(e.hint ?? '')?.[1];
    expect(logFile, `hint: ${e.hint}`).toBeDefined();
    const log = readFileSync(logFile as string, 'utf8');
    expect(log).toContain('prepared'); // the earlier step's output is in the log
    expect(log).toContain('widget configuration is impossible');
    expect(path.dirname(logFile as string)).toBe(env.JRT_LOG);
  });

  it('a runtime path whose ELF needs a library outside the closure fails the check, naming both', async () => {
    const { recipe, out, ctx } = setUp('missing-lib-step.yml');
    const r = await jrtAsync(['build', recipe, '--out', out, '--json'], { env });
    expectCleanFailure(r, ctx, 1);
    const e = errorOf(r.stdout);
    expect(e.code).toBe('ERR_JRT_CLOSURE_MISSING_LIB');
    expect(e.message).toContain('rootfs/opt/tool/apt-get: needs libapt-pkg.so.6.0');
    expect(e.message).toContain('rootfs/opt/tool/apt-get: needs libstdc++.so.6');
    expect(r.stderr).toContain('hint: add the package that provides the library to runtime.packages');
  });

  it('a strip rule that removes a needed library fails the check, naming the programs and the library', async () => {
    const { recipe, out, ctx } = setUp('missing-lib-strip.yml');
    const r = await jrtAsync(['build', recipe, '--out', out, '--json'], { env });
    expectCleanFailure(r, ctx, 1);
    const e = errorOf(r.stdout);
    expect(e.code).toBe('ERR_JRT_CLOSURE_MISSING_LIB');
    // coreutils' cp links against libacl (Debian bookworm: coreutils Depends libacl1).
    expect(e.message).toContain('rootfs/usr/bin/cp: needs libacl.so.1');
  });

  it.each<[string, NodeJS.Signals, 'group' | 'jrt', number]>([
    // Ctrl-C in a shell signals the whole foreground process group: jrt and bwrap alike.
    ['Ctrl-C', 'SIGINT', 'group', 130],
    ['kill -INT', 'SIGINT', 'jrt', 130],
    ['kill -TERM', 'SIGTERM', 'jrt', 143],
  ])(
    '%s (%s to %s) while a step runs: exit %d, the build dir and every process of the build gone',
    async (_what, signal, to, status) => {
      const { recipe, out, ctx } = setUp('sleeping-step.yml');
      const build = startJrt(['build', recipe, '--out', out], { env, detached: true });
      const tree = await stepProcesses(build.pid, build.done);
      expect(list(path.join(cache, 'tmp'))).toHaveLength(1);

      process.kill(to === 'group' ? -build.pid : build.pid, signal);
      const r = await build.done;
      expect(r.exitCode, r.stderr).toBe(status);
      expect(r.stderr).toContain(`jrt: build of tiny-1 interrupted by ${signal}`);
      // Every process the build had started ends (by pid: other builds on this machine are not ours).
      await waitFor(`the build's processes ${tree.join(' ')} to end`, () => !tree.some(isRunning));
      expectNoLeftovers(ctx);
      const logs = list(env.JRT_LOG as string);
      const log = readFileSync(path.join(env.JRT_LOG as string, logs.at(-1) as string), 'utf8');
      expect(log).toContain(`interrupted by ${signal}`);
    },
  );

  it('Ctrl-C while mmdebstrap makes the base root: exit 130, no mount, temp root or partial base left', async () => {
    // A cache of its own (so the base is made now), and TMPDIR in the test home: mmdebstrap's temp
    // root and its mounts must be gone from there afterwards.
    const fresh = await makeJrtHome({ extra: {} });
    fresh.env.TMPDIR = path.join(fresh.home, 'tmp');
    mkdirSync(fresh.env.TMPDIR, { recursive: true });
    try {
      const dir = path.join(fresh.home, 'recipes');
      const out = path.join(fresh.home, 'out');
      mkdirSync(out, { recursive: true });
      mkdirSync(dir, { recursive: true });
      const recipe = placeRecipe('tiny.yml', dir);
      const build = startJrt(['build', recipe, '--out', out], { env: fresh.env, detached: true });
      let ended = false;
      void build.done.then(() => {
        ended = true;
      });
      let tree: number[] = [];
      // Interrupt once mmdebstrap has mounted /proc, /sys and /dev/* into its temp root (it does, in
      // root mode, to run dpkg there). jrt runs it in a private mount namespace, so those mounts are
      // only in mmdebstrap's own mount table, never the host's; none of it may survive Ctrl-C.
      await waitFor(
        "mmdebstrap's mounts in its temp root",
        () => {
          tree = descendants(build.pid);
          const mm = tree.find((p) => commOf(p) === 'mmdebstrap');
          return ended || (mm !== undefined && mountsUnder(fresh.home, mm).length > 0);
        },
        120_000,
      );
      expect(mountsUnder(fresh.home)).toEqual([]);
      if (ended)
        throw new Error(`jrt ended before mmdebstrap mounted anything: ${(await build.done).stderr}`);
      expect(tree.map(commOf)).toContain('mmdebstrap');
      // The base's maintainer scripts are archive code: mmdebstrap is root only of the build's user
      // namespace, whose ids are the unprivileged build range on the host.
      const mm = tree.find((p) => commOf(p) === 'mmdebstrap') as number;
      expect(readFileSync(`/proc/${mm}/uid_map`, 'utf8')).toMatch(
        new RegExp(`^\\s*0\\s+${BUILD_ID_BASE}\\s+${BUILD_ID_COUNT}\\n$`),
      );
      process.kill(-build.pid, 'SIGINT');
      const r = await build.done;
      expect(r.exitCode, r.stderr).toBe(130);
      await waitFor(`the build's processes ${tree.join(' ')} to end`, () => !tree.some(isRunning));
      const freshCache = fresh.env.JRT_CACHE as string;
      expectNoLeftovers({ home: fresh.home, cache: freshCache, out });
      expect(list(path.join(freshCache, 'bases'))).toEqual([]);
      expect(list(fresh.env.TMPDIR)).toEqual([]);
    } finally {
      removeTestHome(fresh.home);
    }
  });
});

/** Once the step's `sleep` runs: every process below jrt (bwrap, the step's shell, sleep). */
async function stepProcesses(pid: number, done: Promise<JrtResult>): Promise<number[]> {
  let tree: number[] = [];
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  await waitFor(
    'the build step to start sleep',
    () => {
      tree = descendants(pid);
      return ended || tree.some((p) => commOf(p) === 'sleep');
    },
    120_000,
  );
  if (ended) throw new Error(`jrt ended before the step ran: ${(await done).stderr}`);
  expect(tree.map(commOf)).toEqual(expect.arrayContaining(['bwrap', 'sleep']));
  return tree;
}
