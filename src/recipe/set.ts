/**
 * Checks across a set of recipes: a name or alias must pick exactly one recipe, so names are
 * unique and no alias collides with another recipe's name or alias.
 */

import { spellingKey } from '../core/suggest.js';
import type { Recipe } from './types.js';
import { analyzeRecipe, type RecipeError } from './validate.js';

export interface RecipeFileResult {
  file: string;
  recipe?: Recipe;
  digest?: string;
  errors: RecipeError[];
}

export function validateRecipeSet(
  entries: ReadonlyArray<{ file: string; text: string }>,
): RecipeFileResult[] {
  const analyzed = entries.map((e) => ({ file: e.file, ...analyzeRecipe(e.text, e.file) }));
  const results: RecipeFileResult[] = analyzed.map(({ file, result }) =>
    'errors' in result ? { file, errors: [...result.errors] } : { file, ...result, errors: [] },
  );
  // Who claimed each spelling first: its file and whether it is a name or an alias.
  const claimed = new Map<string, { file: string; as: string }>();
  const spellings = new Map<string, { file: string; value: string }>();
  analyzed.forEach((a, i) => {
    const res = results[i] as RecipeFileResult;
    const recipe = res.recipe;
    if (!recipe) return;
    const claims: Array<{ value: string; path: Array<string | number>; as: string }> = [
      { value: recipe.name, path: ['name'], as: 'name' },
      ...recipe.aliases.map((value, j) => ({ value, path: ['aliases', j], as: 'alias' })),
    ];
    for (const c of claims) {
      const prior = claimed.get(c.value);
      const loose = spellings.get(spellingKey(c.value));
      if (!prior && loose && loose.file !== a.file) {
        // Distinct names that read the same loosely would make `jrt install java17` ambiguous.
        res.errors.push(
          a.errorAt(c.path, `${c.as} '${c.value}' reads the same as '${loose.value}' of ${loose.file}`),
        );
        continue;
      }
      if (prior) {
        const what =
          c.as === 'name' && prior.as === 'name'
            ? 'duplicate recipe name'
            : `${c.as} '${c.value}' collides with the ${prior.as}`;
        res.errors.push(a.errorAt(c.path, `${what} of ${prior.file}`));
      } else {
        claimed.set(c.value, { file: a.file, as: c.as });
        spellings.set(spellingKey(c.value), { file: a.file, value: c.value });
      }
    }
  });
  for (const r of results) {
    if (r.errors.length > 0) {
      delete r.recipe;
      delete r.digest;
    }
  }
  return results;
}
