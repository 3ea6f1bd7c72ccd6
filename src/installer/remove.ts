/** Removing an installed runtime: the symlink first (the name disappears atomically), then its dirs. */
import { readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { InstalledRuntime } from './installed.js';
import { versionsDir } from './layout.js';
import { stagingPath } from './place.js';

export async function removeRuntime(root: string, r: InstalledRuntime): Promise<void> {
  if (r.managed) {
    await unlink(r.path);
    const vdir = versionsDir(root, r.language);
    for (const v of await readdir(vdir).catch(() => [] as string[]))
      if (v.startsWith(`${r.name}@`)) await rm(path.join(vdir, v), { recursive: true, force: true });
    return;
  }
  // A plain directory: move it out of Joblet's sight in one rename, then delete it.
  const aside = await stagingPath(root, r.name);
  await rename(r.path, aside);
  await rm(aside, { recursive: true, force: true });
}
