/**
 * The whole CLI (dist/jrt-main.mjs): what the `jrt` launcher (src/bin.ts) hands every command line
 * that the exec bundle does not run.
 */
import { COMMANDS } from './commands/all.js';
import { closeInheritedFds } from './core/fds.js';
import { main, reportError } from './main.js';

closeInheritedFds();
main(process.argv.slice(2), COMMANDS).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e, false);
  },
);
