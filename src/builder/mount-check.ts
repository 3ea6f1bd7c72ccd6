/**
 * The recipe's mounts against the built runtime, before the smoke tests bind them: each source must
 * be a real entry of the runtime, reached through real directories only. A symlink on the way (a
 * step's `h -> /` copied in by runtime.paths) would be followed by the host when bwrap binds it, so
 * the smoke test would run with the host's files mounted; the installer refuses such a runtime too.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { entryPathProblem } from '../artifact/safety.js';
import { failure } from '../core/errors.js';
import type { RuntimeYml } from '../core/runtime-format.js';

/** Why `source` cannot be bound from `runtimeDir`, or undefined. */
export async function mountSourceProblemOnDisk(
  runtimeDir: string,
  source: string,
): Promise<{ code: 'missing' | 'unsafe'; why: string } | undefined> {
  let p = source.startsWith('./') ? source.slice(2) : source;
  while (p.endsWith('/')) p = p.slice(0, -1);
  const bad = entryPathProblem(p);
  if (bad) return { code: 'unsafe', why: bad };
  const parts = p.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    const st = await lstat(path.join(runtimeDir, prefix)).catch(() => undefined);
    if (!st) return { code: 'missing', why: `${prefix} does not exist in the built runtime` };
    if (st.isSymbolicLink()) return { code: 'unsafe', why: `it goes through the symlink ${prefix}` };
    if (i < parts.length && !st.isDirectory())
      return { code: 'missing', why: `${prefix} is not a directory` };
  }
  return undefined;
}

export async function checkMountSources(runtimeDir: string, yml: RuntimeYml): Promise<void> {
  for (const m of yml.mounts) {
    const problem = await mountSourceProblemOnDisk(runtimeDir, m.source);
    if (problem?.code === 'missing') {
      throw failure(
        'ERR_JRT_MOUNT_SOURCE_MISSING',
        `mounts: source ${m.source} (for ${m.target}) does not exist in the built runtime: ${problem.why}`,
        { hint: 'add the package that provides it to runtime.packages, or fix the mount' },
      );
    }
    if (problem) {
      throw failure(
        'ERR_JRT_MOUNT_SOURCE_UNSAFE',
        `mounts: source ${m.source} (for ${m.target}) is refused: ${problem.why}`,
        {
          hint: 'a mount source must be a real directory or file of the runtime; the host would follow a symlink out of it',
        },
      );
    }
  }
}
