/**
 * One build's surroundings: its log file, its throwaway directory (removed on success, failure,
 * Ctrl-C and SIGTERM; left by kill -9 and removed by the next build), and progress reporting.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { failure, isJrtError } from '../core/errors.js';
import { hostDebianMirror, hostNpmRegistry } from '../core/host-sources.js';
import type { JrtPaths } from '../core/paths.js';
import { type OnProgress, phase, silentProgress } from '../core/progress.js';
import { JRT_VERSION } from '../core/version.js';
import { loadRecipe } from '../recipe/load.js';
import type { Recipe } from '../recipe/types.js';
import { removeStaleBuildDirs } from './base.js';
import { type BlobStore, createBlobStore } from './blobs.js';

export interface SessionOptions {
  recipeFile: string;
  paths: JrtPaths;
  offline?: boolean;
  onProgress?: OnProgress;
}

export interface Session {
  recipe: Recipe;
  recipeDigest: string;
  recipeFile: string;
  recipeDir: string;
  paths: JrtPaths;
  offline: boolean;
  mirror: string;
  registry: string;
  blobs: BlobStore;
  buildDir: string;
  logFile: string;
  log: (line: string) => void;
  onProgress: OnProgress;
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/** Run `fn` in a fresh session and always clean up after it. */
export async function withSession<T>(opts: SessionOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const onProgress = opts.onProgress ?? silentProgress;
  const { recipe, digest } = await loadRecipe(opts.recipeFile);
  const logFile = path.join(
    opts.paths.log,
    `build-${recipe.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`,
  );
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = (line: string) => appendFileSync(logFile, `${line}\n`);
  log(`jrt ${JRT_VERSION}: ${opts.recipeFile} (${digest})`);
  const [mirror, registry] = await Promise.all([hostDebianMirror(), hostNpmRegistry()]);

  await removeStaleBuildDirs(opts.paths.cache);
  const buildDir = path.join(
    opts.paths.cache,
    'tmp',
    `build-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  await mkdir(buildDir, { recursive: true });
  const onSignal = (signal: NodeJS.Signals) => {
    // Mounts live in the sandbox's mount namespace and die with it; only the directory needs removing.
    log(`interrupted by ${signal}`);
    void rm(buildDir, { recursive: true, force: true }).finally(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const session: Session = {
    recipe,
    recipeDigest: digest,
    recipeFile: opts.recipeFile,
    recipeDir: path.dirname(path.resolve(opts.recipeFile)),
    paths: opts.paths,
    offline: opts.offline ?? false,
    mirror,
    registry,
    blobs: createBlobStore(opts.paths.cache),
    buildDir,
    logFile,
    log,
    onProgress,
    step: (name, f) => phase(onProgress, recipe.name, name, f),
  };
  try {
    return await fn(session);
  } catch (e) {
    log(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
    // Every build failure points at the full log.
    if (isJrtError(e) && !e.hint && e.kind === 'failure')
      throw failure(e.code, e.message, { hint: `full log: ${logFile}`, cause: e });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(buildDir, { recursive: true, force: true });
  }
}
