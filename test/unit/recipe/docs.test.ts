/** The full example in docs/recipes.md is a valid recipe that spells out every default. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateRecipe } from '../../../src/recipe/validate.js';

it('the example recipe in docs/recipes.md validates and is already complete', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/recipes.md'), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(example, 'docs/recipes.md has a ```yaml example').toBeDefined();
  const result = validateRecipe(example as string, 'docs/recipes.md');
  if ('errors' in result) return expect.fail(JSON.stringify(result.errors));
  // Every field is written out, so defaulting added nothing.
  expect(result.recipe).toEqual(parse(example as string));
});
