import { describe, expect, it } from 'vitest';
import { parseInstallArgs, type RecipeRef, selectTargets } from '../../../src/installer/select.js';

const recipes: RecipeRef[] = [
  { name: 'java-17', language: 'java', aliases: ['openjdk-17'], file: '/r/java-17.yml' },
  { name: 'java-21', language: 'java', aliases: [], file: '/r/java-21.yml' },
  { name: 'node-18', language: 'node', aliases: [], file: '/r/node-18.yml' },
  { name: 'python-3.11-ml', language: 'python', aliases: ['python-ml'], file: '/r/python-3.11-ml.yml' },
];

const names = (argv: string[]) =>
  selectTargets(parseInstallArgs(argv), recipes).map((t) =>
    t.kind === 'recipe' ? t.name : `artifact:${t.file}`,
  );

describe('install selection', () => {
  it.each([
    [['--all'], ['java-17', 'java-21', 'node-18', 'python-3.11-ml']],
    [['--java-all'], ['java-17', 'java-21']],
    [
      ['--python-3.11-ml', '--node-18'],
      ['python-3.11-ml', 'node-18'],
    ],
    [
      ['node-18', 'openjdk-17', 'node-18'],
      ['node-18', 'java-17'],
    ],
    [['./x.jrt.tar.gz'], ['artifact:./x.jrt.tar.gz']],
    [
      ['/abs/y.jrt.tar.gz', 'java-21'],
      ['java-21', 'artifact:/abs/y.jrt.tar.gz'],
    ],
  ])('%j selects %j', (argv, want) => {
    expect(names(argv)).toEqual(want);
  });

  it('parses the flags', () => {
    expect(parseInstallArgs(['--dry-run', '-f', '--offline', '--locked', 'x'])).toMatchObject({
      dryRun: true,
      force: true,
      offline: true,
      locked: true,
      names: ['x'],
    });
  });

  it('unknown names, groups and empty selections are usage errors with suggestions', () => {
    expect(() => names(['pyhton-3.11-ml'])).toThrow(/unknown runtime 'pyhton-3.11-ml'/);
    const err = (() => {
      try {
        names(['java-2']);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({
      hint: 'did you mean: java-21, java-17?',
      exitCode: 2,
      code: 'ERR_JRT_UNKNOWN_RUNTIME',
    });
    expect(() => names(['--ruby-all'])).toThrow(/no recipes for language 'ruby'/);
    expect(() => names([])).toThrow(/say what to install/);
    expect(() => parseInstallArgs(['-x'])).toThrow(/unknown flag -x/);
  });
});
