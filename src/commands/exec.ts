import { failure } from '../core/errors.js';
import type { Command } from './types.js';

export const execCommand: Command = {
  summary: 'exec',
  help: 'Usage: jrt exec (being built; see README)',
  async run() {
    throw failure('ERR_JRT_UNAVAILABLE', "'jrt exec' is not available in this version yet");
  },
};
