/**
 * Temp dirs that tests make are removed after their test file (test/helpers/setup.ts), so a run
 * leaves nothing in /tmp. Whatever is still mounted below one (a test that failed half-way) is
 * unmounted first, and the removal never crosses into another filesystem: a bind mount of a host
 * directory can never be deleted through a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function tempDirSync(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeDir(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) execFileSync('umount', ['--lazy', m]);
  execFileSync('rm', ['-rf', '--one-file-system', dir]);
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0).reverse()) removeDir(dir);
}
