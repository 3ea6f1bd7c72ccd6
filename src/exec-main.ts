/**
 * `jrt exec`'s own bundle (dist/jrt-exec.cjs): one CommonJS file holding the exec command and all it
 * needs, compiled from a V8 code cache made at build time (see src/bin.ts). Every job starts through
 * it, so it carries nothing another command needs.
 */
import { execCommand } from './commands/exec.js';
import { closeInheritedFds } from './core/fds.js';
import { main, reportError, splitArgs } from './main.js';

const EXEC_ONLY = { exec: async () => execCommand };

/**
 * Runs `argv` when it is an exec command line; `undefined` hands it back to the whole CLI (another
 * command, or flags the CLI reports as a usage error: it says so the same way for every command).
 */
export function runExec(argv: string[]): Promise<number> | undefined {
  let command: string | undefined;
  try {
    command = splitArgs(argv).command;
  } catch {
    return undefined;
  }
  if (command !== 'exec') return undefined;
  closeInheritedFds();
  return main(argv, EXEC_ONLY).catch((e) => reportError(e, false));
}
