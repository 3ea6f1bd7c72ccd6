/**
 * Whether `jrt install NAME` can skip the build: the installed runtime (or an artifact already in
 * the cache) was built by this jrt from this exact recipe and lock. A build is deterministic in
 * those three, so building again would give the same bytes — this is what makes a second
 * `jrt install --all` fast.
 */
import path from 'node:path';
import { readArtifactHead } from '../artifact/read.js';
import { inputsDigest, lockDigest, readRecipeLock } from '../builder/lock.js';
import { readCapped } from '../core/read-capped.js';
import { artifactName, MANIFEST_JSON, MAX_MANIFEST_BYTES, type Manifest } from '../core/runtime-format.js';
import { JRT_VERSION } from '../core/version.js';
import { loadRecipe } from '../recipe/load.js';

export interface BuildIdentity {
  name: string;
  language: string;
  version: string;
  recipe_digest: string;
  lock_digest: string;
}

/** What a build of this recipe would be stamped with, or undefined when it has no usable lock yet. */
export async function buildIdentity(recipeFile: string): Promise<BuildIdentity | undefined> {
  const { recipe, digest } = await loadRecipe(recipeFile);
  const lock = (await readRecipeLock(recipeFile, recipe.name).catch(() => undefined))?.lock;
  if (!lock || lock.inputs_digest !== inputsDigest(recipe)) return undefined;
  return {
    name: recipe.name,
    language: recipe.language,
    version: recipe.version,
    recipe_digest: digest,
    lock_digest: lockDigest(lock),
  };
}

export function sameBuild(
  m: Pick<Manifest, 'recipe_digest' | 'lock_digest' | 'jrt_version'>,
  id: BuildIdentity,
): boolean {
  return (
    m.recipe_digest === id.recipe_digest && m.lock_digest === id.lock_digest && m.jrt_version === JRT_VERSION
  );
}

/** The installed runtime's manifest when it is exactly what a build would install. */
export async function currentInstall(root: string, id: BuildIdentity): Promise<Manifest | undefined> {
  try {
    const file = path.join(root, id.language, id.name, MANIFEST_JSON);
    const m = JSON.parse((await readCapped(file, MAX_MANIFEST_BYTES)).toString('utf8')) as Manifest;
    return sameBuild(m, id) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** An artifact of this exact build already in JRT_CACHE/artifacts. */
export async function cachedArtifact(cacheDir: string, id: BuildIdentity): Promise<string | undefined> {
  const file = path.join(cacheDir, 'artifacts', artifactName(id.name, id.version));
  try {
    return sameBuild((await readArtifactHead(file)).manifest, id) ? file : undefined;
  } catch {
    return undefined;
  }
}
