/**
 * Removing an installed runtime, under its install lock: what was resolved before the lock must
 * still be what is installed once the lock is held (an `install --force` that won the lock may have
 * switched it meanwhile, and removing that would undo an install that just reported success). Then
 * the name disappears in one rename and its files are deleted.
 */
import { readdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { jobsUsing } from './in-use.js';
import { type InstalledDetails, resolveInstalled } from './installed.js';
import { VERSIONS_DIR } from './layout.js';
import { acquireLock, IDENTITY_LOCK } from './lock.js';
import { createStaging } from './place.js';
import { checkWritableRoot } from './precheck.js';
import { syncSpecEntries } from './spec-entries.js';

export async function removeInstalled(
  paths: Pick<JrtPaths, 'root' | 'state'>,
  spec: string,
  opts: { force: boolean; onWait?: (pid: number) => void },
): Promise<InstalledDetails> {
  const r = await resolveInstalled(paths.root, spec);
  const release = await acquireLock(paths.state, r.name, { onWait: opts.onWait });
  try {
    const now = await resolveInstalled(paths.root, spec).catch(() => undefined);
    if (now?.path !== r.path || now.dir !== r.dir)
      throw failure(
        'ERR_JRT_RUNTIME_CHANGED',
        `${r.name} changed while jrt waited for its install lock (another jrt installed or removed it); nothing was removed`,
        { hint: `run 'jrt runtime remove ${r.name}' again to remove what is installed now` },
      );
    if (r.foreign && !opts.force)
      throw failure(
        'ERR_JRT_FOREIGN_RUNTIME',
        `${r.name} (${r.path}) was not installed by jrt (${r.layout === 'language' ? 'no .jrt-current' : `Joblet's ${r.layout} layout`}); nothing was removed`,
        { hint: `remove it with the tool that installed it, or use 'jrt runtime remove ${r.name} --force'` },
      );
    const users = await jobsUsing(r.dir, paths.state, r.path);
    if (users.length > 0 && !opts.force)
      throw failure(
        'ERR_JRT_RUNTIME_IN_USE',
        `${r.name} is used by running job(s) ${users.map((u) => `pid ${u.pid}`).join(', ')}`,
        { hint: 'wait for them to finish, or use --force' },
      );
    const releaseIds = await acquireLock(paths.state, IDENTITY_LOCK, { onWait: opts.onWait });
    try {
      // First Joblet's spec entries, so that none ever points at a runtime that is gone.
      await checkWritableRoot(paths.root);
      await syncSpecEntries(paths.root, paths.state, { without: r.path });
      await removeRuntime(paths.root, r);
      // Again: a removed runtime of Joblet's flat layout may have held the name a spec link needs.
      if (r.layout !== 'language') await syncSpecEntries(paths.root, paths.state);
    } finally {
      await releaseIds();
    }
    return r;
  } finally {
    await release();
  }
}

async function removeRuntime(root: string, r: InstalledDetails): Promise<void> {
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
  // Joblet's <name>/<version>/: the last version gone, its <name>/ goes too (rmdir: only when empty).
  if (r.layout === 'name-version') await rmdir(path.dirname(r.path)).catch(() => {});
}
