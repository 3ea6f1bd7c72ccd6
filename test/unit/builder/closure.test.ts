import { describe, expect, it } from 'vitest';
import { resolveClosure } from '../../../src/builder/closure.js';
import { parseStatus } from '../../../src/builder/dpkg.js';
import { JrtError } from '../../../src/core/errors.js';

/** A status file from a compact table: name → [depends, extra fields]. */
function status(
  pkgs: Record<string, { depends?: string; pre?: string; provides?: string; essential?: boolean }>,
) {
  return Object.entries(pkgs)
    .map(([name, p]) =>
      [
        `Package: ${name}`,
        'Status: install ok installed',
        'Architecture: amd64',
        'Version: 1.0',
        p.depends ? `Depends: ${p.depends}` : '',
        p.pre ? `Pre-Depends: ${p.pre}` : '',
        p.provides ? `Provides: ${p.provides}` : '',
        p.essential ? 'Essential: yes' : '',
      ]
        .filter((l) => l !== '')
        .join('\n'),
    )
    .join('\n\n');
}

const DB = parseStatus(
  status({
    python3: { depends: 'python3.11, libpython3-stdlib' },
    'python3.11': { depends: 'libc6 (>= 2.34), mime-support | media-types, libexpat1' },
    'libpython3-stdlib': { depends: 'libpython3.11-stdlib' },
    'libpython3.11-stdlib': { depends: 'libc6, python3.11' },
    libc6: { depends: 'libgcc-s1' },
    'libgcc-s1': { depends: 'gcc-12-base, libc6' },
    'gcc-12-base': {},
    'media-types': {},
    libexpat1: { pre: 'libc6' },
    jre: { depends: 'java-common, libc6', provides: 'java-runtime (= 17)' },
    'java-app': { depends: 'java-runtime' },
    'java-app2': { depends: 'other-jre | java-runtime' },
    'java-common': {},
    scipy: { depends: 'python3, pythran' },
    pythran: { depends: 'gcc, libboost, libc6' },
    gcc: { depends: 'libc6' },
    libboost: {},
    bash: { essential: true, depends: 'libc6' },
    broken: { depends: 'libc6, ghost (>= 1)' },
    half: { depends: 'nothere | alsonot' },
    gccuser: { depends: 'gcc' },
  }),
);

const names = (roots: string[], exclude: string[] = [], buildOnly: string[] = []) =>
  resolveClosure(DB, { roots, exclude, buildOnly }).packages.map((p) => p.name);

describe('resolveClosure', () => {
  it.each([
    ['a chain with a cycle (libc6 <-> libgcc-s1)', ['libc6'], [], ['libc6', 'libgcc-s1', 'gcc-12-base']],
    [
      'alternatives take the first installed one; pre-depends are followed',
      ['python3.11'],
      [],
      ['python3.11', 'libc6', 'media-types', 'libexpat1', 'libgcc-s1', 'gcc-12-base'],
    ],
    [
      'a virtual package through Provides',
      ['java-app'],
      [],
      ['java-app', 'jre', 'java-common', 'libc6', 'libgcc-s1', 'gcc-12-base'],
    ],
    [
      'an uninstalled first alternative falls to a virtual',
      ['java-app2'],
      [],
      ['java-app2', 'jre', 'java-common', 'libc6', 'libgcc-s1', 'gcc-12-base'],
    ],
    [
      'an excluded package and its exclusive dependencies stay out; shared ones stay in',
      ['scipy'],
      ['pythran'],
      [
        'scipy',
        'python3',
        'python3.11',
        'libpython3-stdlib',
        'libc6',
        'media-types',
        'libexpat1',
        'libpython3.11-stdlib',
        'libgcc-s1',
        'gcc-12-base',
      ],
    ],
    ['essential packages come only when depended on', ['media-types'], [], ['media-types']],
    ['an excluded root is skipped', ['media-types', 'gcc'], ['gcc'], ['media-types']],
  ])('%s', (_name, roots, exclude, expected) => {
    expect(names(roots, exclude)).toEqual(expected);
  });

  it('without the exclusion pythran drags gcc and boost in', () => {
    expect(names(['scipy'])).toEqual(expect.arrayContaining(['pythran', 'gcc', 'libboost']));
  });

  it('reports build-only packages the runtime needs, with the package that pulled them', () => {
    const r = resolveClosure(DB, { roots: ['gccuser'], exclude: [], buildOnly: ['gcc', 'libboost'] });
    expect(r.buildOnlyInClosure).toEqual([{ name: 'gcc', via: 'gccuser' }]);
  });

  it.each([
    ['a dependency that is not installed', ['broken'], 'ghost (>= 1) (needed by broken)'],
    ['no alternative installed', ['half'], 'nothere | alsonot (needed by half)'],
    ['a root that is not installed', ['nope'], 'nope (a runtime package of the recipe)'],
  ])('%s is an error naming it', (_name, roots, text) => {
    let err: unknown;
    try {
      resolveClosure(DB, { roots, exclude: [], buildOnly: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JrtError);
    expect((err as JrtError).code).toBe('ERR_JRT_CLOSURE_NOT_INSTALLED');
    expect((err as JrtError).message).toContain(text);
  });

  it('excluding every alternative of a dependency cuts it instead of failing', () => {
    expect(names(['java-app2'], ['other-jre', 'java-runtime'])).toEqual(['java-app2']);
  });
});
