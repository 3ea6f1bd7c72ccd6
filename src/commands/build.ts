import { failure } from '../core/errors.js';
import type { Command } from './types.js';

export const buildCommand: Command = {
  summary: 'build',
  help: 'Usage: jrt build (being built; see README)',
  async run() {
    throw failure('ERR_JRT_UNAVAILABLE', "'jrt build' is not available in this version yet");
  },
};
