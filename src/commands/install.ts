import { failure } from '../core/errors.js';
import type { Command } from './types.js';

export const installCommand: Command = {
  summary: 'install',
  help: 'Usage: jrt install (being built; see README)',
  async run() {
    throw failure('ERR_JRT_UNAVAILABLE', "'jrt install' is not available in this version yet");
  },
};
