/**
 * Byte-for-byte reproducibility fixes applied to the collected tree: Java keystores carry creation
 * times (see jks.ts). Everything else that differs between builds is stripped by strip.ts or
 * clamped by the packer.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isJks, normalizeJks } from './jks.js';

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
