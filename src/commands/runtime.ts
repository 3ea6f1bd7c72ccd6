import { failure } from '../core/errors.js';
import type { Command } from './types.js';

export const runtimeCommand: Command = {
  summary: 'runtime',
  help: 'Usage: jrt runtime (being built; see README)',
  async run() {
    throw failure('ERR_JRT_UNAVAILABLE', "'jrt runtime' is not available in this version yet");
  },
};
