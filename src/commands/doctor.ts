import { failure } from '../core/errors.js';
import type { Command } from './types.js';

export const doctorCommand: Command = {
  summary: 'doctor',
  help: 'Usage: jrt doctor (being built; see README)',
  async run() {
    throw failure('ERR_JRT_UNAVAILABLE', "'jrt doctor' is not available in this version yet");
  },
};
