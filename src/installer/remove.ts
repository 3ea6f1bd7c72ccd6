/** Removing an installed runtime: the name disappears in one rename, then its files are deleted. */
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { InstalledDetails } from './installed.js';
import { VERSIONS_DIR } from './layout.js';
import { createStaging } from './place.js';
import { checkWritableRoot } from './precheck.js';

export async function removeRuntime(root: string, r: InstalledDetails): Promise<void> {
  // A read-only root is the user's setup, not a bug: say so before touching anything.
  await checkWritableRoot(root);
  const aside = await createStaging(root, r.name);
  try {
    await rename(r.path, aside.tree);
    if (r.managed) {
      // The language directory the runtime sits in, which need not be the language runtime.yml names.
      const vdir = path.join(path.dirname(r.path), VERSIONS_DIR);
      for (const v of await readdir(vdir).catch(() => [] as string[]))
        if (v.startsWith(`${r.name}@`)) await rm(path.join(vdir, v), { recursive: true, force: true });
    }
  } finally {
    await rm(aside.dir, { recursive: true, force: true });
  }
}
