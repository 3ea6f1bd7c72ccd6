#!/usr/bin/env node
/**
 * The `jrt` command (dist/jrt.cjs, the package's bin). A command line that names `exec` goes to the
 * exec bundle, compiled from its code cache (src/core/code-cache.ts); the bundle runs it when it is
 * an exec command (src/exec-main.ts decides, with the CLI's own flag parsing) and hands anything else
 * back. Every other command loads the whole CLI (dist/jrt-main.mjs, src/cli.ts).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileExecBundle, loadExecBundle, writeCodeCache } from './core/code-cache.js';

export { writeCodeCache };

function launch(argv: string[]): void {
  if (argv.includes('exec')) {
    const file = path.join(__dirname, 'jrt-exec.cjs');
    const { script, cache } = compileExecBundle(file);
    if (process.env.JRT_EXEC_TRACE) process.stderr.write(`jrt-trace: exec bundle, code cache ${cache}\n`);
    const run = loadExecBundle(script, file, require).runExec(argv);
    if (run !== undefined) {
      run.then((code) => {
        process.exitCode = code;
      });
      return;
    }
  }
  import(pathToFileURL(path.join(__dirname, 'jrt-main.mjs')).href);
}

if (require.main === module) launch(process.argv.slice(2));
