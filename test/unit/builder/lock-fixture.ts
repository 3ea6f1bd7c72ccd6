/** Shared by the lock tests: a 64-hex-digit hash of one repeated digit, and a recipe from YAML text. */
import type { Recipe } from '../../../src/recipe/types.js';
import { validateRecipe } from '../../../src/recipe/validate.js';

export const HEX = (c: string) => c.repeat(64);

export function recipeFrom(text: string): Recipe {
  const r = validateRecipe(text, 'tiny.yml');
  if ('errors' in r) throw new Error(JSON.stringify(r.errors));
  return r.recipe;
}
