/**
 * The lock: every input of a recipe, resolved to exact versions and pinned by sha256, so a build is
 * repeatable offline and a second build is byte-identical. It lives next to the recipe
 * (recipes/NAME.lock.json) and is committed.
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { failure, usageError } from '../core/errors.js';
import { sha256Bytes } from '../core/hash.js';
import { readCapped, TooLargeError } from '../core/read-capped.js';
import type { Pocket, Recipe } from '../recipe/types.js';
import type { ArchivePocket } from './archives.js';
import { checkLockShape } from './lock-check.js';

export interface DebianInput {
  package: string;
  version: string;
  architecture: string;
  /** Path below the mirror root (pool/main/...). The mirror itself comes from the host. */
  filename: string;
  size: number;
  sha256: string;
  /**
   * The archive it came from: the suite (`release`) or a pocket (lock_version 2). Absent in a
   * lock_version 1 lock, which knew the suite alone.
   */
  pocket?: ArchivePocket;
}

export interface NpmInput {
  kind: 'npm';
  package: string;
  version: string;
  /** The tarball path below the registry root. */
  tarball: string;
  integrity: string;
  size: number;
  sha256: string;
}

export interface UrlInput {
  kind: 'url' | 'file';
  /** The URL, or for a file source the path relative to the recipe. */
  location: string;
  size: number;
  sha256: string;
}

export type SourceInput = NpmInput | UrlInput;

export interface Lock {
  /** 2 since locks record pockets; a version 1 lock (the suite alone) is still read. */
  lock_version: 1 | 2;
  recipe: string;
  /**
   * Digest of what the lock was resolved from: the recipe's base, Debian packages and sources
   * (inputsDigest). Editing a description or a mount does not invalidate the lock; adding a package does.
   */
  inputs_digest: string;
  suite: string;
  /** The suite's pockets the inputs were resolved from (lock_version 2; none in version 1). */
  pockets?: Pocket[];
  architecture: string;
  /** When the inputs were resolved. Also the build's SOURCE_DATE_EPOCH, so rebuilds are identical. */
  resolved_at: string;
  /**
   * Debian's mirror drops superseded versions; every input of this lock can still be found in the
   * snapshot archive at this address (filename appended).
   */
  snapshot: string;
  /** Packages of the base root (mmdebstrap minbase). */
  base: DebianInput[];
  /** Packages installed into the build root on top of the base (build and runtime closures). */
  packages: DebianInput[];
  /** npm, url and file sources in recipe order. */
  sources: SourceInput[];
}

/** The lock of a recipe: `NAME.lock.json` next to the recipe file, whatever the file is called. */
export function lockPathFor(recipeFile: string, recipeName: string): string {
  return path.join(path.dirname(recipeFile), `${recipeName}.lock.json`);
}

/** Where jrt 0.2 wrote a lock: named after the recipe file (`tiny.yml` → `tiny.lock.json`). */
export function legacyLockPath(recipeFile: string): string {
  return `${recipeFile.replace(/\.ya?ml$/, '')}.lock.json`;
}

/**
 * The recipe's lock and the file it came from: `NAME.lock.json`, else (deprecated, with a warning
 * through `warn`) a lock by the recipe file's name that jrt 0.2 wrote. Undefined lock when neither exists.
 */
export async function readRecipeLock(
  recipeFile: string,
  recipeName: string,
  warn?: (message: string) => void,
): Promise<{ lock: Lock | undefined; file: string }> {
  const file = lockPathFor(recipeFile, recipeName);
  const lock = await readLock(file);
  const legacy = legacyLockPath(recipeFile);
  if (lock || legacy === file) return { lock, file };
  const old = await readLock(legacy);
  if (old)
    warn?.(
      `${legacy} is named after the recipe file; locks are now named after the recipe: rename it to ${path.basename(file)} (jrt writes ${file} from now on)`,
    );
  return { lock: old, file: old ? legacy : file };
}

/** Canonical text: stable key order as written, sorted package lists, trailing newline. */
export function serializeLock(lock: Lock): string {
  const byName = (a: DebianInput, b: DebianInput) =>
    a.package < b.package ? -1 : a.package > b.package ? 1 : 0;
  return `${JSON.stringify({ ...lock, base: [...lock.base].sort(byName), packages: [...lock.packages].sort(byName) }, null, 2)}\n`;
}

export function lockDigest(lock: Lock): string {
  return `sha256:${sha256Bytes(serializeLock(lock))}`;
}

/** The digest of the recipe fields a lock is resolved from. Pure. */
export function inputsDigest(recipe: Recipe): string {
  const inputs = {
    base: recipe.base,
    // Only when there are any: a recipe without pockets keeps the digest its lock was made with.
    ...(recipe.pockets.length > 0 ? { pockets: recipe.pockets } : {}),
    build_packages: recipe.build.packages,
    runtime_packages: recipe.runtime.packages,
    sources: recipe.sources,
  };
  return `sha256:${sha256Bytes(JSON.stringify(inputs))}`;
}

/** The pockets a lock was resolved from (none for a lock_version 1 lock). */
export function lockPockets(lock: Lock): Pocket[] {
  return lock.pockets ?? [];
}

export function sourceDateEpoch(lock: Lock): number {
  return Math.floor(Date.parse(lock.resolved_at) / 1000);
}

/** A lock of thousands of packages is a few MB; refused before it is parsed past this. */
const MAX_LOCK_BYTES = 16 * 1024 * 1024;

export async function readLock(file: string): Promise<Lock | undefined> {
  let text: string;
  try {
    text = (await readCapped(file, MAX_LOCK_BYTES)).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof TooLargeError)
      throw usageError('ERR_JRT_LOCK_INVALID', `${file}: larger than ${MAX_LOCK_BYTES} bytes`);
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw usageError(
      'ERR_JRT_LOCK_INVALID',
      `${file}: not valid JSON (${(e as Error).message})`,
      'delete it and run `jrt lock` again',
    );
  }
  const problem = checkLockShape(value);
  if (problem)
    throw usageError('ERR_JRT_LOCK_INVALID', `${file}: ${problem}`, 'delete it and run `jrt lock` again');
  return value as Lock;
}

export async function writeLock(file: string, lock: Lock): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, serializeLock(lock));
  await rename(tmp, file);
}

/** Under --locked the lock must exist and belong to this exact recipe. */
export function assertLockMatches(
  lock: Lock | undefined,
  recipeName: string,
  inputsDigest: string,
  lockFile: string,
): asserts lock is Lock {
  if (!lock) {
    throw usageError(
      'ERR_JRT_LOCK_MISSING',
      `--locked: ${lockFile} does not exist`,
      `run 'jrt lock' for ${recipeName} and commit the lock`,
    );
  }
  if (lock.inputs_digest !== inputsDigest) {
    throw failure(
      'ERR_JRT_LOCK_DRIFT',
      `--locked: the recipe's inputs (base, pockets, packages or sources) changed since ${lockFile} was resolved`,
      {
        hint: `run 'jrt lock' for ${recipeName} to resolve the changed recipe, review the diff and commit it`,
      },
    );
  }
}
