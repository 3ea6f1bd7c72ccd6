import { type JrtPaths, type PathOverrides, resolvePaths } from './paths.js';

/** What every command receives: resolved paths, output channels and the output mode. */
export interface CommandContext {
  paths: JrtPaths;
  /** --json: machine output on stdout only, nothing else there. */
  json: boolean;
  env: NodeJS.ProcessEnv;
  /** stdout: results (a JSON document with --json, human text otherwise). */
  stdout: (text: string) => void;
  /** stderr: progress, warnings, human commentary. */
  stderr: (text: string) => void;
  color: boolean;
}

export function createContext(opts: {
  json: boolean;
  overrides: PathOverrides;
  env?: NodeJS.ProcessEnv;
}): CommandContext {
  const env = opts.env ?? process.env;
  return {
    paths: resolvePaths(env, opts.overrides),
    json: opts.json,
    env,
    stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    color: !env.NO_COLOR && process.stderr.isTTY === true,
  };
}

/** Print a result: the JSON document with --json, the human text otherwise. */
export function emit(ctx: CommandContext, value: unknown, human: () => string): void {
  if (ctx.json) ctx.stdout(JSON.stringify(value, null, 2));
  else {
    const text = human();
    if (text !== '') ctx.stdout(text);
  }
}
