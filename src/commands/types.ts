import type { CommandContext } from '../core/context.js';

/** A command parses its own flags from `argv` and returns the exit status. */
export interface Command {
  /** Full help text with usage and examples. */
  help: string;
  run(argv: string[], ctx: CommandContext): Promise<number>;
}
