/** `jrt recipe validate` / `jrt validate`, through the bundle (npm run build first). */
import { copyFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JrtHome, type JrtResult, makeJrtHome, REPO, runJrt } from '../helpers/jrt.js';

const FIXTURES = path.join(REPO, 'test/fixtures/recipes');
let h: JrtHome;
let tmp: string;

/** From the repository, so fixture paths can be given relative to it. */
function jrt(args: string[], env: Record<string, string> = {}): Promise<JrtResult> {
  return runJrt(args, { env: { ...h.env, ...env }, cwd: REPO });
}

beforeAll(async () => {
  h = await makeJrtHome({ prefix: 'jrt-cli-recipe-' });
  tmp = h.home;
});
afterAll(async () => {
  await h?.dispose();
});

describe('jrt recipe validate', () => {
  it('prints FILE: ok on stderr for valid recipes and exits 0', async () => {
    const files = ['good/java-17.yml', 'good/node-18.yml'].map((f) => path.join('test/fixtures/recipes', f));
    const r = await jrt(['recipe', 'validate', ...files]);
    expect(r).toEqual({
      exitCode: 0,
      signal: null,
      stdout: '',
      stderr: files.map((f) => `${f}: ok\n`).join(''),
    });
  });

  it('prints every error line and exits 2; `jrt validate` is the same command', async () => {
    const bad = 'test/fixtures/recipes/bad/many-errors.yml';
    const good = 'test/fixtures/recipes/good/java-17.yml';
    const r = await jrt(['validate', good, bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `${good}: ok`,
      `${bad}:7:10 version: must be a string (quote it: "17")`,
      `${bad}:9:7 base: must be a Debian suite name (bookworm, trixie, ...)`,
      `${bad}:17:12 build.steps[0].run: must be string`,
      '',
    ]);
  });

  it('--json puts {files:[{file, ok, errors}]} on stdout only', async () => {
    const bad = path.join(FIXTURES, 'bad/step-run-number.yml');
    const good = path.join(FIXTURES, 'good/python-3.11-ml.yml');
    const r = await jrt(['--json', 'recipe', 'validate', good, bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      files: [
        { file: good, ok: true, errors: [] },
        {
          file: bad,
          ok: false,
          errors: [
            {
              file: bad,
              line: 17,
              column: 12,
              path: 'build.steps[1].run',
              message: 'must be a string (quote it: "5")',
            },
          ],
        },
      ],
    });
  });

  it('with no FILE validates the recipes directory as a set', async () => {
    const dir = path.join(tmp, 'recipes');
    await rm(dir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    await copyFile(path.join(FIXTURES, 'good/java-17.yml'), path.join(dir, 'java-17.yml'));
    await copyFile(path.join(FIXTURES, 'good/node-18.yml'), path.join(dir, 'node-18.yml'));
    let r = await jrt(['validate']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(`${path.join(dir, 'java-17.yml')}: ok\n${path.join(dir, 'node-18.yml')}: ok\n`);

    // A second recipe that claims java-17's alias makes the set invalid.
    await writeFile(
      path.join(dir, 'java-21.yml'),
      'name: java-21\nlanguage: java\nversion: "21"\ndescription: d\nbase: trixie\naliases: [openjdk-17]\n' +
        'runtime: {packages: [openjdk-21-jre-headless]}\nmounts: [{source: rootfs/usr, target: /usr, readonly: true}]\n',
    );
    r = await jrt(['validate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      `${path.join(dir, 'java-21.yml')}:6:11 aliases[0]: alias 'openjdk-17' collides with the alias of ${path.join(dir, 'java-17.yml')}\n`,
    );
  });

  it('usage errors exit 2 with a hint', async () => {
    let r = await jrt(['recipe', 'frobnicate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("jrt recipe: unknown subcommand 'frobnicate'");
    r = await jrt(['validate', path.join(tmp, 'missing.yml')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('missing.yml: ENOENT');
    r = await jrt(['validate'], { JRT_RECIPES: path.join(tmp, 'nowhere') });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('cannot read the recipes directory');
  });

  it('--help shows usage and examples', async () => {
    for (const args of [
      ['recipe', '--help'],
      ['validate', '--help'],
      ['recipe', 'validate', '-h'],
    ]) {
      const r = await jrt(args);
      expect(r.exitCode, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: jrt recipe validate');
      expect(r.stdout).toContain('Examples:');
    }
  });
});
