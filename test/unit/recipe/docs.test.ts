/**
 * The full example in docs/recipes.md is a valid recipe that spells out every default; every other
 * ```yaml recipe on that page (pockets, ...) validates too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateRecipe } from '../../../src/recipe/validate.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/recipes.md'), 'utf8');
const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);

it('the example recipe in docs/recipes.md validates and is already complete', () => {
  const example = examples.find((e) => e.startsWith('name: python-3.11-ml'));
  expect(example, 'docs/recipes.md has the python-3.11-ml ```yaml example').toBeDefined();
  const result = validateRecipe(example as string, 'docs/recipes.md');
  if ('errors' in result) return expect.fail(JSON.stringify(result.errors));
  // Every field is written out, so defaulting added nothing.
  expect(result.recipe).toEqual(parse(example as string));
});

it('every other ```yaml recipe in docs/recipes.md validates', () => {
  expect(examples.length).toBeGreaterThanOrEqual(2);
  for (const example of examples) {
    const result = validateRecipe(example, 'docs/recipes.md');
    if ('errors' in result) expect.fail(`${example.split('\n')[0]}: ${JSON.stringify(result.errors)}`);
  }
});
