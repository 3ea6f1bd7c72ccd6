import { failure } from '../core/errors.js';
import type { Command } from './types.js';

export const lockCommand: Command = {
  summary: 'lock',
  help: 'Usage: jrt lock (being built; see README)',
  async run() {
    throw failure('ERR_JRT_UNAVAILABLE', "'jrt lock' is not available in this version yet");
  },
};
