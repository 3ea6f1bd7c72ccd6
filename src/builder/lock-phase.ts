/**
 * Getting a lock that fits the recipe and the cached base root: reuse the committed one when it
 * still fits, resolve a new one otherwise (never under --locked or --offline).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { failure, isJrtError } from '../core/errors.js';
import { type BaseRoot, basePackages, ensureBase, unpackBase } from './base.js';
import { resolveDebian } from './debian.js';
import { DEFAULT_KEYRING, type IndexSettings, locateDebianInputs } from './debian-index.js';
import {
  assertLockMatches,
  inputsDigest,
  type Lock,
  lockPathFor,
  readRecipeLock,
  writeLock,
} from './lock.js';
import { lockDisagreements } from './lock-check.js';
import type { Session } from './session.js';
import { resolveSource } from './sources.js';

export interface LockOutcome {
  lock: Lock;
  lockFile: string;
  changed: boolean;
  base: BaseRoot;
}

export async function ensureLock(
  s: Session,
  opts: { locked?: boolean; relock?: boolean },
): Promise<LockOutcome> {
  const { recipe } = s;
  const lockFile = lockPathFor(s.recipeFile, recipe.name);
  const { lock: existing, file: readFrom } = await readRecipeLock(s.recipeFile, recipe.name, (message) => {
    s.log(message);
    s.onProgress({ type: 'warn', task: recipe.name, message });
  });
  const inputs = inputsDigest(recipe);
  if (opts.locked) assertLockMatches(existing, recipe.name, inputs, readFrom);
  // The recipe's own pins win: a lock that disagrees with them is never used.
  const disagrees = existing ? lockDisagreements(existing, recipe) : [];
  if (disagrees.length > 0 && (opts.locked || s.offline))
    throw failure(
      'ERR_JRT_LOCK_DRIFT',
      `${lockFile} disagrees with the recipe: ${disagrees.slice(0, 3).join('; ')}${disagrees.length > 3 ? `; and ${disagrees.length - 3} more` : ''}`,
      {
        hint: `run 'jrt lock' for ${recipe.name} to resolve the recipe again, review the diff and commit it`,
      },
    );
  let base = await s.step('root', () =>
    ensureBase(s.paths.cache, s.archives, { offline: s.offline, onLine: s.log }),
  );

  const drift = existing ? await baseDrift(base, existing) : [];
  if (existing && drift.length > 0 && (opts.locked || s.offline)) {
    throw failure(
      'ERR_JRT_LOCK_DRIFT',
      `the cached ${recipe.base} base root differs from ${lockFile}: ${drift.slice(0, 5).join(', ')}${drift.length > 5 ? ` and ${drift.length - 5} more` : ''}`,
      {
        hint: `run 'jrt lock --update' to resolve against today's mirror (the locked inputs remain at ${existing.snapshot})`,
      },
    );
  }
  const fits =
    existing &&
    !opts.relock &&
    drift.length === 0 &&
    disagrees.length === 0 &&
    existing.inputs_digest === inputs;
  if (fits) {
    await s.step('verify lock', () =>
      locateDebianInputs(indexSettings(s, existing), s.archives, existing.packages),
    );
    return { lock: existing, lockFile, changed: false, base };
  }
  if (s.offline)
    throw failure(
      'ERR_JRT_OFFLINE_MISSING',
      `--offline: ${lockFile} is missing or does not match the recipe, and resolving needs the network`,
    );
  if (drift.length > 0)
    s.onProgress({
      type: 'warn',
      task: recipe.name,
      message: `the base root moved on since the lock was made (${drift.length} packages); resolving again`,
    });

  const resolved = await s.step('resolve', async () => {
    try {
      return await resolveLock(s, base);
    } catch (e) {
      if (!(isJrtError(e) && e.code === 'ERR_JRT_BASE_STALE')) throw e;
      // The mirror moved on since the base was cached: make a fresh base and resolve again.
      await rm(base.tarball, { force: true });
      base = await ensureBase(s.paths.cache, s.archives, { onLine: s.log });
      return resolveLock(s, base);
    }
  });
  // Resolved by apt against the signed indexes just now: this check finds each package's pocket
  // in them (and keeps those indexes in the cache).
  const lock = await s.step('verify lock', async () => {
    const settings = indexSettings(s, resolved);
    return {
      ...resolved,
      base: await locateDebianInputs(settings, s.archives, resolved.base),
      packages: await locateDebianInputs(settings, s.archives, resolved.packages),
    };
  });
  await writeLock(lockFile, lock);
  return { lock, lockFile, changed: true, base };
}

function indexSettings(s: Session, lock: Lock): IndexSettings {
  return {
    cacheDir: s.paths.cache,
    architecture: lock.architecture,
    offline: s.offline,
    keyring: process.env.JRT_DEBIAN_KEYRING || DEFAULT_KEYRING,
    log: s.log,
  };
}

/** Packages of the locked base that the cached base root does not hold at the same version. */
async function baseDrift(base: BaseRoot, lock: Lock): Promise<string[]> {
  const have = await basePackages(base);
  return lock.base
    .filter((p) => have.get(p.package) !== p.version)
    .map((p) => `${p.package} ${p.version} (base has ${have.get(p.package) ?? 'none'})`);
}

async function resolveLock(s: Session, base: BaseRoot): Promise<Lock> {
  const { recipe } = s;
  const root = path.join(s.buildDir, 'resolve-root');
  await unpackBase(base, root);
  try {
    const wanted = [...new Set([...recipe.build.packages, ...recipe.runtime.packages])];
    const debian = await resolveDebian(root, wanted, s.log);
    const sources = [];
    for (const src of recipe.sources) sources.push(await resolveSource(src, s));
    const resolvedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const stamp = resolvedAt
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    return {
      lock_version: 2,
      recipe: recipe.name,
      inputs_digest: inputsDigest(recipe),
      suite: recipe.base,
      pockets: recipe.pockets,
      architecture: debian.base.find((p) => p.package === 'libc6')?.architecture ?? 'amd64',
      resolved_at: resolvedAt.toISOString(),
      snapshot: `https://snapshot.debian.org/archive/debian/${stamp}/`,
      base: debian.base,
      packages: debian.packages,
      sources,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
