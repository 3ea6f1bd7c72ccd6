/**
 * The one module that starts child processes for the builder, installer and doctor (execa).
 * The runner's job spawn lives in src/runner/spawn.ts on node:child_process, because it needs
 * raw signal forwarding and must not load execa on the `jrt exec` hot path.
 */
import { failure } from './errors.js';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Replace the environment instead of extending process.env. */
  extendEnv?: boolean;
  input?: string | Buffer;
  /** Stream output lines here (e.g. into a build log) instead of only collecting it. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Do not throw on a non-zero exit. */
  reject?: boolean;
  /**
   * Start the child in a process group of its own, so a Ctrl-C at the terminal reaches only jrt,
   * which then stops the child with exactly one signal (stopChildren). For programs like mmdebstrap
   * whose cleanup (unmounting on the host) a second signal would cut short.
   */
  ownProcessGroup?: boolean;
}

export interface RunResult {
  exitCode: number;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  command: string;
}

/** Children started by run() that have not ended yet, so an interrupted build can stop them first. */
const live = new Set<{
  child: PromiseLike<unknown> & { pid?: number; kill: (s: NodeJS.Signals) => boolean };
  group: boolean;
}>();

/**
 * Send `signal` to every child run() started that is still running (to the whole process group of
 * one started with ownProcessGroup, as a Ctrl-C at the terminal would) and wait until all have ended.
 * mmdebstrap and apt clean up after themselves; bwrap's sandbox dies with bwrap.
 */
export async function stopChildren(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const entries = [...live];
  for (const { child, group } of entries) {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // it ended in the meantime
    }
  }
  await Promise.allSettled(entries.map((e) => Promise.resolve(e.child)));
}

export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const { execa } = await import('execa');
  const child = execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    input: opts.input,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    detached: opts.ownProcessGroup ?? false,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
    buffer: true,
    lines: false,
  });
  if (opts.onLine) {
    const onLine = opts.onLine;
    for (const [stream, name] of [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ] as const) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const text = partial + chunk.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) onLine(l, name);
      });
      stream?.on('end', () => {
        if (partial !== '') onLine(partial, name);
      });
    }
  }
  const entry = { child, group: opts.ownProcessGroup ?? false };
  live.add(entry);
  const r = await child.finally(() => live.delete(entry));
  const result: RunResult = {
    exitCode: r.exitCode ?? (r.signal ? 128 : 1),
    signal: r.signal ?? undefined,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    command: r.command,
  };
  if (r.failed && r.exitCode === undefined && r.signal === undefined && !r.isCanceled && !r.timedOut) {
    // The program could not be started at all.
    throw failure('ERR_JRT_SPAWN', `could not run ${file}: ${r.shortMessage}`, {
      hint: `is ${file} installed? 'jrt doctor' lists what jrt needs`,
    });
  }
  if (opts.reject !== false && (result.exitCode !== 0 || r.isCanceled || r.timedOut)) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
    throw failure(
      'ERR_JRT_COMMAND_FAILED',
      `${r.command} ${r.timedOut ? 'timed out' : r.isCanceled ? 'was cancelled' : `exited with ${result.signal ?? result.exitCode}`}${tail ? `:\n${tail}` : ''}`,
    );
  }
  return result;
}

/** Whether an executable is on PATH. */
export async function which(name: string): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  const path = await import('node:path');
  for (const dir of (
    process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  ).split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}
