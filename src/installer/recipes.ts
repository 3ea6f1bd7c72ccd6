/**
 * A minimal recipe reader until src/recipe/load.ts is merged; the lead will re-export
 * listRecipes/findRecipe from there. It reads only what selection needs (name, language, aliases).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.js';
import type { Recipe } from '../recipe/types.js';
import { didYouMean } from './select.js';

export interface LoadedRecipe {
  recipe: Recipe;
  digest: string;
  file: string;
}

export async function listRecipes(dir: string): Promise<LoadedRecipe[]> {
  const { parse } = await import('yaml');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.yml')).sort();
  const out: LoadedRecipe[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    const bytes = await readFile(file);
    const recipe = parse(bytes.toString('utf8')) as Recipe;
    if (typeof recipe?.name !== 'string' || typeof recipe.language !== 'string')
      throw usageError('ERR_JRT_RECIPE_INVALID', `${file}: a recipe needs 'name' and 'language'`);
    out.push({
      recipe: { ...recipe, aliases: recipe.aliases ?? [] },
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      file,
    });
  }
  return out;
}

export async function findRecipe(dir: string, nameOrAlias: string): Promise<LoadedRecipe> {
  const all = await listRecipes(dir);
  const hit =
    all.find((r) => r.recipe.name === nameOrAlias) ?? all.find((r) => r.recipe.aliases.includes(nameOrAlias));
  if (hit) return hit;
  const close = didYouMean(
    nameOrAlias,
    all.map((r) => r.recipe.name),
  );
  throw usageError(
    'ERR_JRT_UNKNOWN_RUNTIME',
    `no recipe named '${nameOrAlias}' in ${dir}`,
    close.length > 0 ? `did you mean: ${close.join(', ')}?` : 'see jrt recipe list',
  );
}
