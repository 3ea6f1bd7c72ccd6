/** The I/O edge: files on disk in a temp dir, validated alone and as a set, found by name or spelling. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isJrtError } from '../../../src/core/errors.js';
import { findRecipe, listRecipes, loadRecipe } from '../../../src/recipe/load.js';
import { validateRecipeSet } from '../../../src/recipe/set.js';

const GOOD = path.resolve(import.meta.dirname, '../../fixtures/recipes/good');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'jrt-recipes-'));
  for (const f of ['java-17.yml', 'node-18.yml', 'python-3.11-ml.yml'])
    await writeFile(path.join(dir, f), await readFile(path.join(GOOD, f)));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isJrtError(e)) return e;
    throw e;
  }
  throw new Error('expected a JrtError');
}

describe('loadRecipe', () => {
  it('returns the defaulted recipe, its digest and its file', async () => {
    const file = path.join(dir, 'java-17.yml');
    const loaded = await loadRecipe(file);
    expect(loaded.file).toBe(file);
    expect(loaded.recipe.name).toBe('java-17');
    expect(loaded.recipe.build.steps).toEqual([]);
    expect(loaded.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('throws ERR_JRT_RECIPE_INVALID (usage, exit 2) listing every error line', async () => {
    const file = path.join(dir, 'bad.yml');
    await writeFile(file, 'name: java-17\nlanguage: java\nversion: 17\nbase: x\n');
    const e = await rejection(loadRecipe(file));
    expect(e.code).toBe('ERR_JRT_RECIPE_INVALID');
    expect(e.exitCode).toBe(2);
    const lines = e.message.split('\n').slice(1);
    expect(lines).toEqual([
      `${file}:1:1 description: is required`,
      `${file}:1:1 mounts: is required`,
      `${file}:1:1 runtime: is required`,
      `${file}:3:10 version: must be a string (quote it: "17")`,
    ]);
  });

  it('a missing file is a usage error naming it', async () => {
    const e = await rejection(loadRecipe(path.join(dir, 'nope.yml')));
    expect(e.code).toBe('ERR_JRT_RECIPE_READ');
    expect(e.message).toContain('nope.yml: ENOENT');
  });
});

describe('listRecipes and validateRecipeSet', () => {
  it('lists every *.yml sorted, ignoring other files', async () => {
    await writeFile(path.join(dir, 'notes.txt'), 'not a recipe');
    await writeFile(path.join(dir, 'java-17.lock.json'), '{}');
    const names = (await listRecipes(dir)).map((r) => r.recipe.name);
    expect(names).toEqual(['java-17', 'node-18', 'python-3.11-ml']);
  });

  it('refuses a duplicate name in a second file, pointing at its name line', async () => {
    const text = await readFile(path.join(dir, 'java-17.yml'), 'utf8');
    await writeFile(path.join(dir, 'java-17-copy.yml'), text.replace('aliases: [openjdk-17]\n', ''));
    const e = await rejection(listRecipes(dir));
    expect(e.code).toBe('ERR_JRT_RECIPE_INVALID');
    const line = text.split('\n').indexOf('name: java-17') + 1;
    expect(e.message).toContain(
      `${path.join(dir, 'java-17.yml')}:${line}:7 name: duplicate recipe name of ${path.join(dir, 'java-17-copy.yml')}`,
    );
  });

  it('refuses an alias equal to another recipe name or alias', () => {
    const base = (name: string, aliases: string[]) =>
      `name: ${name}\nlanguage: java\nversion: "1"\ndescription: d\nbase: bookworm\naliases: [${aliases.join(', ')}]\n` +
      'runtime: {packages: [x1]}\nmounts: [{source: r, target: /r, readonly: true}]\n';
    const results = validateRecipeSet([
      { file: 'a.yml', text: base('java-1', ['jdk']) },
      { file: 'b.yml', text: base('java-2', ['java-1', 'jdk', 'ok']) },
    ]);
    expect(results[0]?.errors).toEqual([]);
    expect(results[0]?.recipe?.name).toBe('java-1');
    expect(results[1]?.recipe).toBeUndefined();
    expect(results[1]?.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`)).toEqual([
      "6:11 aliases[0]: alias 'java-1' collides with the name of a.yml",
      "6:19 aliases[1]: alias 'jdk' collides with the alias of a.yml",
    ]);
  });

  it('refuses names of different recipes that read the same loosely', () => {
    const base = (name: string, aliases: string[]) =>
      `name: ${name}\nlanguage: java\nversion: "1"\ndescription: d\nbase: bookworm\naliases: [${aliases.join(', ')}]\n` +
      'runtime: {packages: [x1]}\nmounts: [{source: r, target: /r, readonly: true}]\n';
    const results = validateRecipeSet([
      { file: 'a.yml', text: base('java-17', ['java17-x']) },
      { file: 'b.yml', text: base('java-1-7', ['openjdk-17']) },
    ]);
    expect(results[0]?.errors).toEqual([]);
    expect(results[1]?.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`)).toEqual([
      "1:7 name: name 'java-1-7' reads the same as 'java-17' of a.yml",
      "6:11 aliases[0]: alias 'openjdk-17' reads the same as 'java-17' of a.yml",
    ]);
  });

  it('a missing directory is a usage error', async () => {
    const e = await rejection(listRecipes(path.join(dir, 'missing')));
    expect(e.code).toBe('ERR_JRT_RECIPES_DIR');
  });
});

describe('findRecipe', () => {
  it.each([
    ['java-17', 'java-17'],
    ['openjdk-17', 'java-17'],
    ['java17', 'java-17'],
    ['java:17', 'java-17'],
    ['python-ml', 'python-3.11-ml'],
    ['python3.11-ml', 'python-3.11-ml'],
    ['python:3.11+ml', 'python-3.11-ml'],
    ['Python_3.11_ML', 'python-3.11-ml'],
    ['python_3_11_ml', 'python-3.11-ml'],
    ['setup_python_3_11_ml.sh', 'python-3.11-ml'],
    ['java-17-runtime-complete', 'java-17'],
    ['nodejs-18', 'node-18'],
    ['node18', 'node-18'],
  ])('%s → %s', async (wanted, name) => {
    expect((await findRecipe(dir, wanted)).recipe.name).toBe(name);
  });

  it('an unknown name is a usage error suggesting close names', async () => {
    const e = await rejection(findRecipe(dir, 'java-71'));
    expect(e.code).toBe('ERR_JRT_UNKNOWN_RECIPE');
    expect(e.exitCode).toBe(2);
    expect(e.hint).toBe('did you mean: java-17?');
  });

  it('a name far from all lists the known recipes', async () => {
    const e = await rejection(findRecipe(dir, 'haskell-9'));
    expect(e.hint).toBe('known recipes: java-17, node-18, python-3.11-ml');
  });
});
