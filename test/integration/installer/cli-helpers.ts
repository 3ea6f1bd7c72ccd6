/** Spawning the built bundle with every JRT_* path in a fresh temp dir (shared by installer CLI tests). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../unit/artifact/fixture.js';

export const BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/jrt.mjs');

export interface Sandbox {
  dir: string;
  root: string;
  state: string;
  config: string;
  recipes: string;
  env: NodeJS.ProcessEnv;
}

export async function sandbox(): Promise<Sandbox> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run 'npm run build' before the CLI tests`);
  const dir = await tempDir('jrt-cli-');
  const s = {
    dir,
    root: path.join(dir, 'runtimes'),
    state: path.join(dir, 'state'),
    config: path.join(dir, 'config', 'joblet-config.yml'),
    recipes: path.join(dir, 'recipes'),
  };
  await mkdir(s.recipes);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    NO_COLOR: '1',
    JRT_ROOT: s.root,
    JRT_STATE: s.state,
    JRT_CACHE: path.join(dir, 'cache'),
    JRT_LOG: path.join(dir, 'log'),
    JRT_JOBLET_CONFIG: s.config,
    JRT_RECIPES: s.recipes,
  };
  return { ...s, env };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function jrt(sb: Sandbox, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], {
      env: { ...sb.env, ...extraEnv },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Start the bundle with JRT_TEST_PAUSE_AT=point, wait until it prints the pause marker, SIGKILL it.
 * Resolves with what it printed; rejects if it exited without reaching the point.
 */
export function killAt(sb: Sandbox, args: string[], point: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], {
      env: { ...sb.env, JRT_TEST_PAUSE_AT: point },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    let paused = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!paused && stderr.includes(`JRT_TEST_PAUSED ${point}`)) {
        paused = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (!paused) reject(new Error(`jrt exited (${code ?? signal}) before reaching ${point}:\n${stderr}`));
      else resolve({ code, signal, stdout, stderr });
    });
  });
}
