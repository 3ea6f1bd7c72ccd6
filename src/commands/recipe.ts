import { failure } from '../core/errors.js';
import type { Command } from './types.js';

export const recipeCommand: Command = {
  summary: 'recipe',
  help: 'Usage: jrt recipe (being built; see README)',
  async run() {
    throw failure('ERR_JRT_UNAVAILABLE', "'jrt recipe' is not available in this version yet");
  },
};
