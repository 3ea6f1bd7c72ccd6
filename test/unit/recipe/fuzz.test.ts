/**
 * Seeded fuzzing: thousands of recipes made by mutating the good fixtures, as data and as text.
 * The validator must never throw, and every answer is either a complete recipe (which round-trips
 * to the same digest) or errors that each name a path and a line inside the file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateRecipe } from '../../../src/recipe/validate.js';
import { mutateData, mutateText, rng } from './mutate.js';

const GOOD = path.resolve(import.meta.dirname, '../../fixtures/recipes/good');
const SEEDS = readdirSync(GOOD)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => readFileSync(path.join(GOOD, f), 'utf8'));

describe('fuzzed recipes', () => {
  const ITERATIONS = 1200;
  it(`never throws and always answers with a recipe or located errors (${ITERATIONS} cases)`, {
    timeout: 180_000,
  }, () => {
    const r = rng(0x6a7274);
    let valid = 0;
    let invalid = 0;
    for (let n = 0; n < ITERATIONS; n++) {
      const seed = SEEDS[n % SEEDS.length] as string;
      const text = r() < 0.5 ? mutateData(r, seed) : mutateText(r, seed);
      const lineCount = text.split('\n').length;
      const result = validateRecipe(text, 'fuzz.yml');
      if ('errors' in result) {
        invalid++;
        expect(result.errors.length, text).toBeGreaterThan(0);
        for (const e of result.errors) {
          expect(e.file).toBe('fuzz.yml');
          expect(e.path.length, `path of ${JSON.stringify(e)}`).toBeGreaterThan(0);
          expect(e.message.length).toBeGreaterThan(0);
          expect(Number.isInteger(e.line) && e.line >= 1 && e.line <= lineCount + 1, JSON.stringify(e)).toBe(
            true,
          );
          expect(Number.isInteger(e.column) && e.column >= 1, JSON.stringify(e)).toBe(true);
        }
      } else {
        valid++;
        expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const again = validateRecipe(stringify(result.recipe), 'again.yml');
        expect('digest' in again && again.digest, 'a defaulted recipe validates to the same digest').toBe(
          result.digest,
        );
      }
    }
    // The mutations must exercise both outcomes, or the fuzzer is testing nothing.
    expect(invalid).toBeGreaterThan(ITERATIONS / 4);
    expect(valid).toBeGreaterThan(10);
  });
});
