import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usageError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with jrt's error style: an unknown flag is a usage error naming it. */
export function parseFlags<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw usageError(
      'ERR_JRT_BAD_FLAG',
      `${command}: ${msg.replace(/\. To specify.*$/s, '')}`,
      `see 'jrt ${command} --help'`,
    );
  }
}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
