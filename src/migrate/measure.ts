/**
 * What a migration plan measures on this machine: which runtimes are installed, how big a runtime
 * will be (exact when an artifact of the same build is cached), how much of its lock is still to
 * download, and the free space where both go. The installed-runtime lookup goes through one call
 * (listInstalled) so it can follow the store when that moves.
 */
import { stat } from 'node:fs/promises';
import { readArtifactHead } from '../artifact/read.js';
import { archivesOf } from '../builder/archives.js';
import { baseTarball } from '../builder/base.js';
import { createBlobStore } from '../builder/blobs.js';
import { lockPockets, readRecipeLock } from '../builder/lock.js';
import { freeSpace } from '../core/disk.js';
import { hostDebianMirror, hostDebianSecurityMirror } from '../core/host-sources.js';
import type { JrtPaths } from '../core/paths.js';
import { buildIdentity, cachedArtifact } from '../installer/up-to-date.js';
import { listInstalled } from '../runner/resolve.js';
import type { RecipeOffer } from './match.js';
import type { RecipeSize, Space } from './plan.js';

export async function installedNames(root: string): Promise<Set<string>> {
  return new Set((await listInstalled(root)).map((r) => r.name));
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function recipeSize(
  offer: RecipeOffer,
  paths: JrtPaths,
  env: NodeJS.ProcessEnv,
): Promise<RecipeSize> {
  const id = await buildIdentity(offer.file).catch(() => undefined);
  const artifact = id && (await cachedArtifact(paths.cache, id));
  if (artifact) return { runtime_bytes: (await readArtifactHead(artifact)).manifest.total_size };
  const lock = (await readRecipeLock(offer.file, offer.name).catch(() => undefined))?.lock;
  if (!lock) return {};
  const blobs = createBlobStore(paths.cache);
  const mirrors = { debian: await hostDebianMirror(env), security: await hostDebianSecurityMirror(env) };
  const hasBase = await exists(baseTarball(paths.cache, archivesOf(lock.suite, lockPockets(lock), mirrors)));
  let download = 0;
  for (const input of [...(hasBase ? [] : lock.base), ...lock.packages, ...lock.sources])
    if (!(await blobs.has(input.sha256))) download += input.size;
  return { download_bytes: download };
}

export async function recipeSizes(
  offers: readonly RecipeOffer[],
  names: readonly string[],
  paths: JrtPaths,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, RecipeSize>> {
  const out = new Map<string, RecipeSize>();
  for (const name of names) {
    const offer = offers.find((o) => o.name === name);
    if (offer) out.set(name, await recipeSize(offer, paths, env));
  }
  return out;
}

export async function spaces(paths: JrtPaths): Promise<{ root: Space; cache: Space }> {
  const [root, cache] = await Promise.all([freeSpace(paths.root), freeSpace(paths.cache)]);
  return { root: { path: root.path, free: root.bytes }, cache: { path: cache.path, free: cache.bytes } };
}
