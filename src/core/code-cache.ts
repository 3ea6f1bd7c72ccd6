/**
 * The exec bundle (dist/jrt-exec.cjs, src/exec-main.ts) compiled from the V8 code cache beside it
 * (dist/jrt-exec.cjs.cache). Most of a job's start-up in jrt itself is V8 parsing and compiling jrt;
 * a code cache holds the bytecode of what a run compiled, so a start compiles almost nothing.
 * `npm run build` makes the cache with the Node that built it (ci/bundle.mjs, writeCodeCache below);
 * another Node version, or other V8 flags, rejects it, which costs time, never correctness: V8 then
 * compiles the source. `jrt doctor` says when that happens (check `exec-code-cache`).
 *
 * The cache is code: it is read only from beside the bundle, in jrt's own directory, which only its
 * owner can write (as the bundle itself), and is never written at run time.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

export type CodeCacheState = 'accepted' | 'rejected' | 'missing';

/** What dist/jrt-exec.cjs exports (src/exec-main.ts). */
export interface ExecBundle {
  runExec(argv: string[]): Promise<number> | undefined;
}

/** CommonJS's own wrapper, plus the bundle's import.meta.url (esbuild's `define` in ci/bundle.mjs). */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname, __jrtUrl) {${source}\n})`;
}

/** Compile the bundle, from its code cache when there is one and this Node accepts it. */
export function compileExecBundle(
  file: string,
  useCache = true,
): { script: vm.Script; cache: CodeCacheState } {
  let cachedData: Buffer | undefined;
  if (useCache) {
    try {
      cachedData = readFileSync(`${file}.cache`);
    } catch {
      // no cache: compile from source
    }
  }
  const script = new vm.Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const cache = cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return { script, cache };
}

/** Run a compiled bundle's top level, as Node runs a CommonJS module, and return its exports. */
export function loadExecBundle(script: vm.Script, file: string, load: NodeJS.Require): ExecBundle {
  const module = { exports: {} as ExecBundle };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, load, module, file, path.dirname(file), pathToFileURL(file).href);
  return module.exports;
}

/**
 * Build time only: compile the bundle from source, run `warmArgv` through it (so that the cache holds
 * what a job's start compiles, not only the top level), and save what V8 compiled, atomically.
 */
export async function writeCodeCache(
  file: string,
  warmArgv: string[],
  load: NodeJS.Require,
): Promise<number> {
  const { script } = compileExecBundle(file, false);
  await loadExecBundle(script, file, load).runExec(warmArgv);
  const data = script.createCachedData();
  writeFileSync(`${file}.cache.tmp`, data, { mode: 0o644 });
  renameSync(`${file}.cache.tmp`, `${file}.cache`);
  return data.length;
}
