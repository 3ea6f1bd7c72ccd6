/**
 * jrt's command line: split global flags from the command, load only that command's module from the
 * table it is given (so `jrt exec` does not pay for YAML, ajv or listr2), run it, and turn errors
 * into exit statuses. The table is the caller's: src/cli.ts passes every command
 * (src/commands/table.ts), src/exec-main.ts only `exec`.
 */

import type { Command } from './commands/types.js';
import { createContext } from './core/context.js';
import { EXIT, isJrtError, usageError } from './core/errors.js';
import type { PathOverrides } from './core/paths.js';
import { printableLines } from './core/printable.js';
import { JRT_VERSION } from './core/version.js';

/** Command name → a loader of its module, called only for the command that runs. */
export type CommandTable = Record<string, () => Promise<Command>>;

/** Top-level shortcuts: `jrt list` is `jrt runtime list`. */
const SHORTCUTS: Record<string, string[]> = {
  list: ['runtime', 'list'],
  info: ['runtime', 'info'],
  verify: ['runtime', 'verify'],
  remove: ['runtime', 'remove'],
  validate: ['recipe', 'validate'],
};

const GLOBAL_VALUE_FLAGS: Record<string, keyof PathOverrides> = {
  '--root': 'root',
  '--cache': 'cache',
  '--state': 'state',
  '--recipes': 'recipes',
  '--log-dir': 'log',
  '--joblet-config': 'jobletConfig',
};

const USAGE = `jrt ${JRT_VERSION} — declarative runtime packager and job runner for Joblet hosts

Usage: jrt [global flags] <command> [flags]

Commands:
  build RECIPE...          build runtimes into deterministic artifacts (installs nothing)
  lock RECIPE...           resolve and pin every input of a recipe into NAME.lock.json
  outdated [RECIPE...]     list locked Debian packages with newer versions (security fixes first)
  install NAME... | --all  build or take artifacts and install them atomically
  exec --runtime=SPEC ...  run a job isolated inside an installed runtime
  runtime list|info|verify|remove
                           manage installed runtimes (shortcuts: list, info, verify, remove)
  recipe validate FILE...  check recipes and report every error with its line (shortcut: validate)
  doctor                   check what jrt needs on this host
  migrate scan|plan|apply|jobs
                           move a host's own language runtimes and its jobs to jrt runtimes
  uninstall --dry-run|--yes
                           remove jrt's runtimes, cache, state, logs and Joblet config keys
  df                       what jrt keeps on disk, by kind and runtime, and free space
  gc [--dry-run]           remove what nothing references (old blobs, artifacts, versions, logs)
  volume list|inspect|remove
                           job volumes and package caches: size, last use, removal
  jobs                     recent job records (--runtime, --status, --since)

Global flags (also as JRT_* variables):
  --json                   machine-readable output on stdout
  --root DIR               runtimes root        (JRT_ROOT, default /opt/joblet/runtimes)
  --cache DIR              download/root cache  (JRT_CACHE, default /var/cache/jrt)
  --state DIR              locks, volumes, jobs (JRT_STATE, default /var/lib/jrt)
  --recipes DIR            recipe directory     (JRT_RECIPES, default: the packaged recipes/)
  --log-dir DIR            build and job logs   (JRT_LOG, default /var/log/joblet/jrt)
  --joblet-config FILE     Joblet config        (JRT_JOBLET_CONFIG)
  -h, --help               help; 'jrt <command> --help' for a command
  -V, --version            print the version

Examples:
  jrt install --all
  jrt exec --runtime=java:17 Main.java
  jrt exec --runtime=python:3.11+ml -- python3 train.py
  jrt runtime list --json

Exit status: 0 ok, 1 operation failed, 2 usage error; 'jrt exec' passes the job's status through
and uses 125 (jrt failed), 126 (not executable), 127 (not found), 128+N (killed by signal N).`;

interface SplitArgs {
  command: string | undefined;
  rest: string[];
  json: boolean;
  overrides: PathOverrides;
  help: boolean;
  version: boolean;
}

/** Global flags may stand anywhere before a `--`; everything else goes to the command. */
export function splitArgs(argv: string[]): SplitArgs {
  const out: SplitArgs = {
    command: undefined,
    rest: [],
    json: false,
    overrides: {},
    help: false,
    version: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.rest.push(...argv.slice(i));
      break;
    }
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const key = GLOBAL_VALUE_FLAGS[flag];
    if (key !== undefined) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw usageError('ERR_JRT_BAD_FLAG', `${flag} needs a value`);
      out.overrides[key] = value;
    } else if (arg === '--json') out.json = true;
    else if (out.command === undefined && (arg === '-V' || arg === '--version')) out.version = true;
    else if (out.command === undefined && (arg === '-h' || arg === '--help')) out.help = true;
    else if (out.command === undefined && !arg.startsWith('-')) out.command = arg;
    else out.rest.push(arg);
  }
  return out;
}

export async function main(argv: string[], commands: CommandTable): Promise<number> {
  let json = argv.includes('--json');
  try {
    const args = splitArgs(argv);
    json = args.json;
    if (args.version) {
      process.stdout.write(json ? `${JSON.stringify({ version: JRT_VERSION })}\n` : `${JRT_VERSION}\n`);
      return EXIT.ok;
    }
    if (args.command === undefined) {
      if (args.help) {
        process.stdout.write(`${USAGE}\n`);
        return EXIT.ok;
      }
      process.stderr.write(`${USAGE}\n`);
      return EXIT.usage;
    }
    let name = args.command;
    let rest = args.rest;
    const shortcut = SHORTCUTS[name];
    if (shortcut) {
      name = shortcut[0] as string;
      rest = [...shortcut.slice(1), ...rest];
    }
    const load = commands[name];
    if (!load) {
      const known = [...Object.keys(commands), ...Object.keys(SHORTCUTS)].sort();
      throw usageError(
        'ERR_JRT_UNKNOWN_COMMAND',
        `unknown command '${name}'`,
        `commands: ${known.join(', ')}`,
      );
    }
    const command = await load();
    if (args.help || rest[0] === '--help' || rest[0] === '-h') {
      process.stdout.write(`${command.help}\n`);
      return EXIT.ok;
    }
    const ctx = createContext({ json, overrides: args.overrides });
    return await command.run(rest, ctx);
  } catch (e) {
    return reportError(e, json);
  }
}

/** Known errors print message and hint; anything else is a bug and prints its stack. */
export function reportError(e: unknown, json: boolean): number {
  if (isJrtError(e)) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint } })}\n`,
      );
    // Messages quote names from artifacts, recipes and the host: never let them drive the terminal.
    process.stderr.write(
      `jrt: ${printableLines(e.message)}\n${e.hint ? `hint: ${printableLines(e.hint)}\n` : ''}`,
    );
    return e.exitCode;
  }
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (json)
    process.stdout.write(`${JSON.stringify({ error: { code: 'ERR_JRT_INTERNAL', message: String(e) } })}\n`);
  process.stderr.write(`jrt: internal error (a bug — please report it):\n${text}\n`);
  return EXIT.failure;
}
