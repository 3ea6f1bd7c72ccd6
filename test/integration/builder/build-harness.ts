/**
 * Shared by the build-*.test.ts files: real `jrt build` runs of the bundle against the small recipes
 * of test/fixtures/recipes/build, in temp JRT_* dirs, and the checks every failed build must pass
 * (no artifact, no build dir, no mount left behind).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'vitest';
import { BUNDLE, type JrtResult, REPO, runJrt, startJrt as startShared } from '../../helpers/jrt.js';

export const RECIPES = path.join(REPO, 'test/fixtures/recipes/build');

/**
 * Copy a fixture recipe into `dir` (its lock is written next to it, never next to the fixture),
 * replacing `__KEY__` placeholders. Returns the copy's path.
 */
export function placeRecipe(
  fixture: string,
  dir: string,
  vars: Record<string, string> = {},
  as: string = fixture,
): string {
  let text = readFileSync(path.join(RECIPES, fixture), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`__${k}__`, v);
  const unreplaced = /__[A-Z_]+__/.exec(text);
  if (unreplaced) throw new Error(`${fixture}: placeholder ${unreplaced[0]} has no value`);
  const file = path.join(dir, as);
  writeFileSync(file, text);
  return file;
}

/** The shared helper's startJrt, with the pid a build test signals (its group too: `detached`). */
export function startJrt(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; detached?: boolean },
): { pid: number; done: Promise<JrtResult> } {
  const running = startShared(args, opts);
  if (running.pid === undefined) throw new Error(`could not spawn ${BUNDLE}`);
  return { pid: running.pid, done: running.done };
}

export function jrtAsync(args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<JrtResult> {
  return runJrt(args, opts);
}

/** An HTTP server on 127.0.0.1 (nothing but loopback is contacted). */
export async function loopbackServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Mount points (field 5 of /proc/self/mountinfo) below `dir`. */
/** Mount points below `dir` in the mount table of process `pid` (default: this process, i.e. the host's). */
export function mountsUnder(dir: string, pid: number | 'self' = 'self'): string[] {
  let table = '';
  try {
    table = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  } catch {
    return []; // the process is gone
  }
  return table
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/**
 * Remove a test home. Whatever is still mounted below it (only after a failed test) is unmounted
 * first, deepest first, so the removal never descends into a mounted /sys or /dev.
 */
export function removeTestHome(dir: string): void {
  for (const m of mountsUnder(dir).reverse()) spawnSync('umount', ['--lazy', m]);
  rmSync(dir, { recursive: true, force: true });
}

/** Files in a directory, [] when it does not exist. */
export function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** No artifact (not even a partial one) in `out`, no throwaway build dir, no mount below the test home. */
export function expectNoLeftovers(ctx: { home: string; cache: string; out: string }): void {
  expect(list(ctx.out).filter((f) => f.includes('.jrt.tar.gz'))).toEqual([]);
  expect(list(path.join(ctx.cache, 'tmp'))).toEqual([]);
  expect(mountsUnder(ctx.home)).toEqual([]);
}

/** A failed build: exit status 1 or 2 (never a crash or a stack trace), and no leftovers. */
export function expectCleanFailure(
  r: JrtResult,
  ctx: { home: string; cache: string; out: string },
  exitCode: 1 | 2,
): void {
  expect(r.exitCode, `stderr: ${r.stderr}`).toBe(exitCode);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  expectNoLeftovers(ctx);
}

/**
 * Poll until `done()` holds. The bound only turns a hang into a failure that says what was awaited;
 * nothing is asserted about how long it took.
 */
export async function waitFor(what: string, done: () => boolean, boundMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > boundMs) throw new Error(`still waiting after ${boundMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pids of every live process below `pid` (walked through /proc/<p>/stat's ppid field). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parens, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** A process is running unless /proc/<pid> is gone or it is a zombie waiting for its parent. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
