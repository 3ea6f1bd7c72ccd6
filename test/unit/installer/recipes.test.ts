import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobletServicePresent } from '../../../src/installer/joblet-config.js';
import { findRecipe, listRecipes } from '../../../src/installer/recipes.js';
import { sha256, tempDir } from '../artifact/fixture.js';

describe('interim recipe reader', () => {
  it('lists *.yml recipes with a sha256 digest of the file and finds them by name or alias', async () => {
    const dir = await tempDir();
    const java = 'name: java-17\nlanguage: java\naliases: [openjdk-17]\n';
    await writeFile(path.join(dir, 'java-17.yml'), java);
    await writeFile(path.join(dir, 'node-18.yml'), 'name: node-18\nlanguage: node\n');
    await writeFile(path.join(dir, 'java-17.lock.json'), '{}');
    const all = await listRecipes(dir);
    expect(all.map((r) => [r.recipe.name, r.recipe.aliases, path.basename(r.file)])).toEqual([
      ['java-17', ['openjdk-17'], 'java-17.yml'],
      ['node-18', [], 'node-18.yml'],
    ]);
    expect(all[0]?.digest).toBe(`sha256:${sha256(java)}`);
    expect((await findRecipe(dir, 'openjdk-17')).recipe.name).toBe('java-17');
    await expect(findRecipe(dir, 'node-17')).rejects.toMatchObject({
      code: 'ERR_JRT_UNKNOWN_RUNTIME',
      hint: 'did you mean: node-18?',
    });
  });

  it('refuses a recipe without name or language', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'x.yml'), 'description: nothing\n');
    await expect(listRecipes(dir)).rejects.toMatchObject({ code: 'ERR_JRT_RECIPE_INVALID' });
  });
});

describe('jobletServicePresent', () => {
  it('is true when one of the unit files exists', async () => {
    const dir = await tempDir();
    const unit = path.join(dir, 'joblet.service');
    expect(await jobletServicePresent([unit])).toBe(false);
    await writeFile(unit, '[Unit]\n');
    expect(await jobletServicePresent([path.join(dir, 'missing'), unit])).toBe(true);
  });
});
