/**
 * The one way tests run the CLI: the bundle users run (`dist/jrt.cjs`, so `npm run build` first),
 * spawned with every JRT_* path inside a fresh temp home. CLI, integration and end-to-end tests all
 * come here; fixtures (artifacts, host runtimes) build on `JrtHome`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './temp.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const BUNDLE = path.join(REPO, 'dist/jrt.cjs');

export interface JrtResult {
  /** null when the CLI was killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface JrtHome {
  /** The temp dir holding everything below (0755, so a job's user 65534 can reach the runtimes). */
  home: string;
  /** JRT_ROOT, JRT_STATE, JRT_LOG: not created (jrt makes them). */
  root: string;
  state: string;
  log: string;
  cache: string;
  /** JRT_JOBLET_CONFIG; not created. */
  config: string;
  /** JRT_RECIPES, an empty directory. */
  recipes: string;
  /** A working directory for jobs, 0777. */
  work: string;
  env: NodeJS.ProcessEnv;
  /** Mount points a test made below home; dispose() unmounts them, last first. */
  mounts: string[];
  dispose(): Promise<void>;
}

export function requireBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'npm run build' first (npm test does)`);
}

/**
 * A copy of the bundle (dist/) in a temp dir every user may read, for tests that run jrt as another
 * user: the checkout's own dist/ is only as readable as the checkout (a clone in /root is not).
 * Made once per test file; the temp dir goes with the file's other temp dirs.
 */
let sharedBundle: Promise<string> | undefined;
export function bundleReadableByAll(): Promise<string> {
  sharedBundle ??= (async () => {
    requireBundle();
    const dir = await tempDir('jrt-bundle-');
    await chmod(dir, 0o755);
    await cp(path.dirname(BUNDLE), path.join(dir, 'dist'), { recursive: true });
    await chmodTree(path.join(dir, 'dist'));
    return path.join(dir, 'dist', path.basename(BUNDLE));
  })();
  return sharedBundle;
}

async function chmodTree(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await chmodTree(p);
    else await chmod(p, 0o644);
  }
}

/** Fails loudly when the test cannot run here, instead of skipping. */
export function requireRoot(why = 'namespaces, mounts, cgroups, chroot builds'): void {
  if (process.getuid?.() !== 0) throw new Error(`this test needs root (${why}): run the tests as root`);
}

/** Fails loudly naming the Debian package when a tool the test needs is not on PATH. */
export function requireTools(tools: Record<string, string>): void {
  for (const [tool, pkg] of Object.entries(tools)) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`this test needs '${tool}' on PATH (apt-get install ${pkg})`);
    }
  }
}

/** A temp home with JRT_ROOT, JRT_CACHE, JRT_STATE, JRT_LOG, JRT_JOBLET_CONFIG, JRT_RECIPES and JRT_EXEC_CONFIG inside it. */
export async function makeJrtHome(
  opts: { prefix?: string; cache?: string; extra?: NodeJS.ProcessEnv } = {},
): Promise<JrtHome> {
  requireBundle();
  const home = await tempDir(opts.prefix ?? 'jrt-test-');
  await chmod(home, 0o755);
  const at = (p: string) => path.join(home, p);
  // Only what a caller brings: jrt must create the runtimes root, state and log dirs itself.
  const dirs = {
    root: at('runtimes'),
    state: at('state'),
    log: at('log'),
    recipes: at('recipes'),
    work: at('work'),
  };
  await mkdir(dirs.recipes);
  await mkdir(dirs.work, { mode: 0o777 });
  await chmod(dirs.work, 0o777);
  const cache = opts.cache ?? at('cache');
  await mkdir(cache, { recursive: true });
  const config = at('joblet/joblet-config.yml');
  const mounts: string[] = [];
  return {
    home,
    ...dirs,
    cache,
    config,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      NO_COLOR: '1',
      JRT_ROOT: dirs.root,
      JRT_CACHE: cache,
      JRT_STATE: dirs.state,
      JRT_LOG: dirs.log,
      JRT_JOBLET_CONFIG: config,
      JRT_RECIPES: dirs.recipes,
      // The host's /etc/jrt/exec.conf must not reach tests: each home names its own (absent).
      JRT_EXEC_CONFIG: at('exec.conf'),
      ...opts.extra,
    },
    mounts,
    async dispose() {
      for (const m of mounts.reverse()) execFileSync('umount', [m]);
      await rm(home, { recursive: true, force: true });
    },
  };
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed (closed at once without it). */
  input?: string;
  /** SIGKILL the CLI after this long (for the long end-to-end runs); the result then has signal SIGKILL. */
  timeoutMs?: number;
  onSpawn?: (pid: number) => void;
  /** A command that runs node in turn, e.g. `['setpriv', '--reuid=65534', ...]`. */
  wrapper?: string[];
  /**
   * The bundle to run (default: the checkout's). A test that runs jrt as another user passes
   * `await bundleReadableByAll()`: the checkout may live where that user cannot read (a clone in
   * root's 0700 home).
   */
  bundle?: string;
  /** A process group of its own, as a shell gives a foreground job (so a test can signal the group). */
  detached?: boolean;
}

export interface RunningJrt {
  pid: number | undefined;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves once stderr contains `text`; rejects if the CLI exits first. */
  stderrContains(text: string): Promise<void>;
  done: Promise<JrtResult>;
}

/** Start `node dist/jrt.cjs ARGS`; for tests that act while it runs (pause points, locks, signals). */
export function startJrt(args: string[], opts: RunOptions): RunningJrt {
  const [command, ...argv] = [...(opts.wrapper ?? []), process.execPath, opts.bundle ?? BUNDLE, ...args] as [
    string,
    ...string[],
  ];
  const child = spawn(command, argv, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: 'pipe',
    detached: opts.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  let closed = false;
  const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const settle = () => {
    for (const w of [...waiters]) {
      if (stderr.includes(w.text)) w.resolve();
      else if (closed)
        w.reject(new Error(`jrt ${args.join(' ')} exited without printing '${w.text}':\n${stderr}`));
      else continue;
      waiters.splice(waiters.indexOf(w), 1);
    }
  };
  const timer =
    opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    settle();
  });
  const done = new Promise<JrtResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      closed = true;
      settle();
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
  child.stdin.end(opts.input ?? '');
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  return {
    pid: child.pid,
    kill: (signal = 'SIGTERM') => child.kill(signal),
    stderrContains: (text) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text, resolve, reject });
        settle();
      }),
    done,
  };
}

/** Run `node dist/jrt.cjs ARGS` and collect its status and output. Asynchronous: a test's own servers keep answering. */
export function runJrt(args: string[], opts: RunOptions): Promise<JrtResult> {
  return startJrt(args, opts).done;
}

/** `jrt ARGS` in a home, with extra variables on top of its environment. */
export function jrt(
  h: Pick<JrtHome, 'env'>,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<JrtResult> {
  return runJrt(args, { env: { ...h.env, ...extraEnv } });
}

/**
 * Start `jrt ARGS` with JRT_TEST_PAUSE_AT=point and SIGKILL it once it says it reached the point.
 * Rejects if it exited without reaching it.
 */
export async function killJrtAt(h: Pick<JrtHome, 'env'>, args: string[], point: string): Promise<JrtResult> {
  const running = startJrt(args, { env: { ...h.env, JRT_TEST_PAUSE_AT: point } });
  await running.stderrContains(`JRT_TEST_PAUSED ${point}`);
  running.kill('SIGKILL');
  return running.done;
}

/** `jrt exec ARGS` in a home's work directory (or `cwd`). */
export function jrtExec(
  h: Pick<JrtHome, 'env' | 'work'>,
  args: string[],
  opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {},
): Promise<JrtResult> {
  return runJrt(['exec', ...args], {
    env: { ...h.env, ...opts.env },
    cwd: opts.cwd ?? h.work,
    input: opts.input,
    onSpawn: opts.onSpawn,
  });
}
