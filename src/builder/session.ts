/**
 * One build's surroundings: its log file, its throwaway directory (removed on success, failure,
 * Ctrl-C and SIGTERM; left by kill -9 and removed by the next build), and progress reporting.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { failure, isJrtError } from '../core/errors.js';
import { hostDebianMirror, hostDebianSecurityMirror, hostNpmRegistry } from '../core/host-sources.js';
import type { JrtPaths } from '../core/paths.js';
import { stopChildren } from '../core/proc.js';
import { type OnProgress, phase, silentProgress } from '../core/progress.js';
import { removeTree } from '../core/remove-tree.js';
import { JRT_VERSION } from '../core/version.js';
import { waitForGc } from '../disk/gc-apply.js';
import { loadRecipe } from '../recipe/load.js';
import type { Recipe } from '../recipe/types.js';
import { type Archive, archivesOf } from './archives.js';
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
  /** The suite and the pockets the recipe takes, each with its mirror (archives[0] is the suite). */
  archives: Archive[];
  registry: string;
  blobs: BlobStore;
  buildDir: string;
  logFile: string;
  log: (line: string) => void;
  onProgress: OnProgress;
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** Run `hook` if the build is interrupted (SIGINT/SIGTERM) before the returned function is called. */
  onInterrupt: (hook: () => Promise<unknown>) => () => void;
}

/** Long enough for the event loop to poll once (a setTimeout callback runs only after a poll). */
const SIGNAL_SETTLE_MS = 20;

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
  const [mirror, security, registry] = await Promise.all([
    hostDebianMirror(),
    hostDebianSecurityMirror(),
    hostNpmRegistry(),
  ]);
  const archives = archivesOf(recipe.base, recipe.pockets, { debian: mirror, security });

  const stale = await removeStaleBuildDirs(opts.paths.cache);
  const report = (message: string) => {
    log(message);
    onProgress({ type: 'warn', task: recipe.name, message });
  };
  for (const name of stale.removed) report(`removed the build dir ${name} left by an earlier build`);
  for (const f of stale.failed)
    report(`could not remove the build dir ${f.name} left by an earlier build: ${f.error}`);
  const buildDir = path.join(
    opts.paths.cache,
    'tmp',
    `build-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  await mkdir(buildDir, { recursive: true });
  // A gc looks for live build dirs only once it holds its lock: with this one made, wait out a gc
  // that may have looked before it existed, so none removes a blob or base root this build uses.
  await waitForGc(opts.paths.state, (pid) =>
    onProgress({ type: 'info', task: recipe.name, message: `waiting for jrt gc (pid ${pid})` }),
  );
  // One removal shared by the normal end and an interrupt, so two never race over the same tree.
  let removal: Promise<void> | undefined;
  // Never a reason to fail the build: what stays is reported, and the next build removes it.
  const removeBuildDir = () =>
    (removal ??= removeTree(buildDir).catch((e: Error) =>
      report(`could not remove the build dir ${buildDir}: ${e.message}; the next build removes it`),
    ));
  const interruptHooks = new Set<() => Promise<unknown>>();
  let interrupted: NodeJS.Signals | undefined;
  const exitStatusFor = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // A second Ctrl-C: whatever child did not stop on the first is killed; the cleanup goes on.
      void stopChildren('SIGKILL');
      return;
    }
    interrupted = signal;
    log(`interrupted by ${signal}`);
    // Stop the children first, with the same signal (a sandbox still running in the build root,
    // mmdebstrap, apt): removing the root under them races them, and exiting would leave what they
    // clean up themselves.
    // Mounts live in the sandboxes' mount namespaces and die with them.
    void stopChildren(signal)
      .then(() =>
        Promise.allSettled([
          removeBuildDir(),
          removePartials(opts.paths.cache),
          ...[...interruptHooks].map((h) => h()),
        ]),
      )
      .finally(() => {
        process.stderr.write(`jrt: build of ${recipe.name} interrupted by ${signal}\n`);
        process.exit(exitStatusFor(signal));
      });
  };
  // `on`, not `once`: execa's exit handler re-raises a signal that has no other listener left,
  // which would kill jrt in the middle of its cleanup.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const session: Session = {
    recipe,
    recipeDigest: digest,
    recipeFile: opts.recipeFile,
    recipeDir: path.dirname(path.resolve(opts.recipeFile)),
    paths: opts.paths,
    offline: opts.offline ?? false,
    mirror,
    archives,
    registry,
    blobs: createBlobStore(opts.paths.cache),
    buildDir,
    logFile,
    log,
    onProgress,
    step: (name, f) => phase(onProgress, recipe.name, name, f),
    onInterrupt: (hook) => {
      interruptHooks.add(hook);
      return () => interruptHooks.delete(hook);
    },
  };
  // Once interrupted, the signal handler alone cleans up, reports and exits; the build stops here.
  const handlerExits = new Promise<never>(() => {});
  try {
    const result = await fn(session);
    if (interrupted) await handlerExits;
    return result;
  } catch (e) {
    // What fails after a signal fails because of it (a step killed by SIGTERM): the handler reports.
    // Ctrl-C reaches jrt and the step in the same instant, and the step's end can be handled before
    // the signal is: one pass of the event loop's poll phase lets a signal already sent arrive.
    if (!interrupted) await new Promise((r) => setTimeout(r, SIGNAL_SETTLE_MS));
    if (interrupted) await handlerExits;
    log(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
    // Every build failure points at the full log.
    if (isJrtError(e) && !e.hint && e.kind === 'failure')
      throw failure(e.code, e.message, { hint: `full log: ${logFile}`, cause: e });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await removeBuildDir();
  }
}

/** Half-downloaded blobs and a half-made base root of this process (named with its pid). */
async function removePartials(cacheDir: string): Promise<void> {
  const ours = new RegExp(`-${process.pid}(?![0-9])`);
  for (const dir of [path.join(cacheDir, 'blobs', 'sha256'), path.join(cacheDir, 'bases')]) {
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names)
      if ((n.startsWith('.incoming-') || n.includes('.part-')) && ours.test(n))
        await rm(path.join(dir, n), { recursive: true, force: true });
  }
}
