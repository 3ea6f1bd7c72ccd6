import path from 'node:path';
import type { JrtPaths } from '../core/paths.js';
import { findRecipe } from '../recipe/load.js';

/** A recipe argument is a file (`recipes/java-17.yml`) or a name or alias from the recipes dir. */
export async function recipeFileFor(arg: string, paths: JrtPaths): Promise<string> {
  if (arg.endsWith('.yml') || arg.endsWith('.yaml') || arg.includes('/')) return path.resolve(arg);
  return (await findRecipe(paths.recipes, arg)).file;
}
