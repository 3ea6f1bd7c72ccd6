/**
 * Spawning the bundled CLI the way users do, with every JRT_* path in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BUNDLE = path.resolve(import.meta.dirname, '../../dist/jrt.mjs');
export const REPO = path.resolve(import.meta.dirname, '../..');

export interface JrtResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface JrtEnv {
  home: string;
  env: NodeJS.ProcessEnv;
}

/** A temp home with JRT_ROOT, JRT_CACHE, JRT_STATE, JRT_LOG and JRT_JOBLET_CONFIG inside it. */
export function makeJrtEnv(opts: { cache?: string; extra?: NodeJS.ProcessEnv } = {}): JrtEnv {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'npm run build' first (npm test does)`);
  const home = mkdtempSync(path.join(os.tmpdir(), 'jrt-test-'));
  // mkdtemp makes it 0700, but builds run their smoke tests (and jobs run) as the job user, who must
  // be able to reach the runtimes and the build dirs below it.
  chmodSync(home, 0o755);
  const cache = opts.cache ?? path.join(home, 'cache');
  mkdirSync(cache, { recursive: true });
  return {
    home,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      JRT_ROOT: path.join(home, 'runtimes'),
      JRT_CACHE: cache,
      JRT_STATE: path.join(home, 'state'),
      JRT_LOG: path.join(home, 'log'),
      JRT_JOBLET_CONFIG: path.join(home, 'joblet', 'joblet-config.yml'),
      NO_COLOR: '1',
      ...opts.extra,
    },
  };
}

export function jrt(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
): JrtResult {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], {
    env: opts.env,
    cwd: opts.cwd,
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return {
    exitCode: r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0),
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

/** Fails loudly when the test cannot run here, instead of skipping. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0)
    throw new Error('this test needs root (namespaces, mounts, chroot builds): run the tests as root');
}
