/** The thin I/O edge of recipes: read files, validate them, find one by name, alias or spelling. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.js';
import { closestNames, spellingKey } from '../core/suggest.js';
import { type RecipeFileResult, validateRecipeSet } from './set.js';
import type { Recipe } from './types.js';
import { formatRecipeError, type RecipeError, validateRecipe } from './validate.js';

export interface LoadedRecipe {
  recipe: Recipe;
  digest: string;
  file: string;
}

export async function loadRecipe(file: string): Promise<LoadedRecipe> {
  const result = validateRecipe(await readRecipeText(file), file);
  if ('errors' in result) throw invalid(result.errors);
  return { ...result, file };
}

/** Every `*.yml` of `dir`, sorted, validated as a set. Any error in any file throws. */
export async function listRecipes(dir: string): Promise<LoadedRecipe[]> {
  const results = await validateRecipeDir(dir);
  const errors = results.flatMap((r) => r.errors);
  if (errors.length > 0) throw invalid(errors);
  return results.map((r) => ({ recipe: r.recipe as Recipe, digest: r.digest as string, file: r.file }));
}

/** Per-file results for `jrt recipe validate` (errors are data here, not exceptions). */
export async function validateRecipeDir(dir: string): Promise<RecipeFileResult[]> {
  return validateRecipeFiles(await recipeFiles(dir));
}

export async function validateRecipeFiles(files: string[]): Promise<RecipeFileResult[]> {
  const entries = await Promise.all(files.map(async (file) => ({ file, text: await readRecipeText(file) })));
  return validateRecipeSet(entries);
}

export async function recipeFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw usageError(
      'ERR_JRT_RECIPES_DIR',
      `cannot read the recipes directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      'set --recipes DIR or JRT_RECIPES',
    );
  }
  return names
    .filter((n) => n.endsWith('.yml') && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n));
}

/** A recipe by name, alias, or a deploy_runtimes.sh / --runtime style spelling (`python3.11-ml`, `java:17`, `openjdk-17`). */
export async function findRecipe(dir: string, nameOrAlias: string): Promise<LoadedRecipe> {
  const all = await listRecipes(dir);
  const found = matchRecipe(all, nameOrAlias);
  if (found) return found;
  const close = closestNames(
    nameOrAlias,
    all.map((r) => r.recipe),
  );
  throw usageError(
    'ERR_JRT_UNKNOWN_RECIPE',
    `no recipe named '${nameOrAlias}' in ${dir}`,
    close.length > 0
      ? `did you mean: ${close.join(', ')}?`
      : `known recipes: ${all.map((r) => r.recipe.name).join(', ') || '(none)'}`,
  );
}

/** Exact name, then exact alias, then the normalized spelling of either. Pure. */
export function matchRecipe<T extends { recipe: Recipe }>(all: T[], wanted: string): T | undefined {
  return (
    all.find((r) => r.recipe.name === wanted) ??
    all.find((r) => r.recipe.aliases.includes(wanted)) ??
    all.find((r) => [r.recipe.name, ...r.recipe.aliases].some((n) => spellingKey(n) === spellingKey(wanted)))
  );
}

async function readRecipeText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw usageError(
      'ERR_JRT_RECIPE_READ',
      `cannot read recipe ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
}

function invalid(errors: RecipeError[]): Error {
  const files = new Set(errors.map((e) => e.file));
  return usageError(
    'ERR_JRT_RECIPE_INVALID',
    `invalid recipe${files.size > 1 ? 's' : ''} (${errors.length} error${errors.length > 1 ? 's' : ''}):\n${errors.map(formatRecipeError).join('\n')}`,
    "fix the lines above; 'jrt recipe validate FILE' checks a recipe without building it; docs/recipes.md lists every field",
  );
}
