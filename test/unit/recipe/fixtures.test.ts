/**
 * Every file in test/fixtures/recipes/bad/ states the exact errors it must produce in its leading
 * comments (`# expect: LINE:COL PATH: MESSAGE`); every file in good/ must validate.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateRecipe } from '../../../src/recipe/validate.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/recipes');
const yml = (dir: string) =>
  readdirSync(path.join(FIXTURES, dir))
    .filter((f) => f.endsWith('.yml'))
    .sort();

function expectations(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice('# expect: '.length));
}

describe('bad recipes report exactly their expected errors', () => {
  const files = yml('bad');
  it('has at least 35 malformed recipes, each with expectations', () => {
    expect(files.length).toBeGreaterThanOrEqual(35);
    for (const f of files)
      expect(expectations(readFileSync(path.join(FIXTURES, 'bad', f), 'utf8')), f).not.toEqual([]);
  });
  it.each(files)('%s', (f) => {
    const text = readFileSync(path.join(FIXTURES, 'bad', f), 'utf8');
    const result = validateRecipe(text, `bad/${f}`);
    expect('errors' in result, 'the recipe must be rejected').toBe(true);
    if (!('errors' in result)) return;
    for (const e of result.errors) expect(e.file).toBe(`bad/${f}`);
    expect(result.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`)).toEqual(
      expectations(text),
    );
  });
});

/**
 * YAML that no parser accepts cannot live under test/ as a .yml file: Biome formats and parses YAML
 * there, and `npm run lint` would fail on it. These cases keep the same shape inline.
 */
describe('YAML syntax errors', () => {
  const head = 'name: java-17\nlanguage: java\nversion: "17"\ndescription: OpenJDK 17\n';
  const tail = 'mounts:\n  - { source: rootfs/usr, target: /usr, readonly: true }\n';
  it.each([
    [
      'an unclosed flow sequence',
      `${head}base: bookworm\nruntime:\n  packages: [openjdk-17-jre-headless\n${tail}`,
      ['8:1 mounts: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    [
      'a key indented under a scalar',
      `${head}base: bookworm\n  suite: trixie\nruntime:\n  packages: [openjdk-17-jre-headless]\n${tail}`,
      [
        '5:7 base["bookworm suite"]: YAML: Nested mappings are not allowed in compact mappings',
        '5:7 base["bookworm suite"]: YAML: Implicit keys need to be on a single line',
      ],
    ],
    [
      'a tab used for indentation',
      `${head}base: bookworm\nruntime:\n\tpackages: [x]\n${tail}`,
      ['7:1 (root): YAML: Tabs are not allowed as indentation'],
    ],
    [
      'an unterminated quoted string',
      `${head}base: "bookworm\nruntime: {packages: [x]}\n${tail}`,
      [
        // The parser finds the string unterminated at the end of the input.
        '9:1 (root): YAML: Missing closing "quote',
      ],
    ],
  ])('%s', (_what, text, expected) => {
    const result = validateRecipe(text, 'inline.yml');
    if (!('errors' in result)) return expect.fail('the recipe must be rejected');
    for (const e of result.errors) expect(e.message).toMatch(/^YAML: /);
    expect(result.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`)).toEqual(expected);
  });
});

describe('good recipes validate', () => {
  it.each(yml('good'))('%s', (f) => {
    const result = validateRecipe(readFileSync(path.join(FIXTURES, 'good', f), 'utf8'), f);
    if ('errors' in result)
      expect.fail(result.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n'));
    else {
      expect(`${result.recipe.name}.yml`).toBe(f);
      expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });
});
