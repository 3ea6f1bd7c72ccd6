/**
 * A private mount namespace kept alive by a holder process, so a test can mount a tiny or read-only
 * filesystem that the host never sees, run jrt inside it (nsenter), and read what is there through
 * /proc/PID/root. Killing the holder drops the namespace and every mount in it: nothing to unmount
 * on the host even if the test dies half-way.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { BUNDLE } from '../helpers/jrt.js';

export interface MountNamespace {
  pid: number;
  /** Run a command inside the namespace (throws on failure). */
  run(argv: string[]): string;
  /** `jrt ARGS` inside the namespace. */
  jrt(args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string };
  /** `p` as the namespace sees it, for reading from the test process. */
  view(p: string): string;
  close(): void;
}

export async function openMountNamespace(): Promise<MountNamespace> {
  for (const tool of ['unshare', 'nsenter', 'mount'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      throw new Error(`this test needs '${tool}' (util-linux) on PATH`);
  const holder: ChildProcess = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', 'echo ready; exec sleep infinity'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Entering before unshare(2) ran would mount on the host: wait for the holder to say it is in.
  await new Promise<void>((resolve, reject) => {
    let err = '';
    holder.stderr?.on('data', (d) => {
      err += d;
    });
    holder.stdout?.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`unshare --mount failed (${code}): ${err}`)));
  });
  const pid = holder.pid as number;
  const enter = ['nsenter', `--target=${pid}`, '--mount', '--'];
  return {
    pid,
    run(argv) {
      return execFileSync(enter[0] as string, [...enter.slice(1), ...argv], { encoding: 'utf8' });
    },
    jrt(args, env) {
      const r = spawnSync(enter[0] as string, [...enter.slice(1), process.execPath, BUNDLE, ...args], {
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (r.error) throw r.error;
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    view(p) {
      return path.join(`/proc/${pid}/root`, p);
    },
    close() {
      holder.kill('SIGKILL');
    },
  };
}
