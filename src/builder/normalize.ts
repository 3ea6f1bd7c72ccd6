/**
 * Byte-for-byte reproducibility fixes applied to the collected tree: Java keystores carry creation
 * times (see jks.ts), and modes must not depend on the build host's umask. Everything else that
 * differs between builds is stripped by strip.ts or clamped by the packer.
 */
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { walkTree } from '../core/tree-walk.js';
import { isJks, normalizeJks } from './jks.js';

/**
 * Clear the group and world write bits of every file and directory below `dir` (the installer
 * refuses such entries: any local user could change the runtime). A build under umask 002, or a
 * package that ships a 1777 directory, still packs an installable, reproducible artifact.
 */
export async function dropWriteBits(dir: string): Promise<string[]> {
  const changed: string[] = [];
  for (const e of await walkTree(dir)) {
    if (e.type === 'symlink' || !(e.mode & 0o022)) continue;
    await chmod(path.join(dir, e.path), e.mode & ~0o022);
    changed.push(e.path);
  }
  return changed;
}

/** Rewrite every JKS keystore under etc/ssl/certs/java and etc/*java* so its dates are `epochMs`. */
export async function normalizeJavaKeystores(tree: string, epochMs: number): Promise<string[]> {
  const changed: string[] = [];
  const candidates = await findKeystores(path.join(tree, 'etc'));
  for (const file of candidates) {
    const buf = await readFile(file);
    if (!isJks(buf)) continue;
    const fixed = normalizeJks(buf, epochMs);
    if (fixed && !fixed.equals(buf)) {
      await writeFile(file, fixed);
      changed.push(path.relative(tree, file));
    }
  }
  return changed;
}

async function findKeystores(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await findKeystores(p)));
    else if (e.isFile() && (e.name === 'cacerts' || e.name.endsWith('.jks'))) out.push(p);
  }
  return out;
}
