import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DebianInput, Lock } from '../../../src/builder/lock.js';
import { checkLockShape, lockDisagreements } from '../../../src/builder/lock-check.js';
import type { Recipe } from '../../../src/recipe/types.js';
import { validateRecipe } from '../../../src/recipe/validate.js';
import { REPO } from '../../helpers/jrt.js';
import { HEX, recipeFrom } from './lock-fixture.js';

const SRI = `sha512-${Buffer.alloc(64, 1).toString('base64')}`;
const deb = (name: string, over: Partial<DebianInput> = {}): DebianInput => ({
  package: name,
  version: '1.0-1',
  architecture: 'amd64',
  filename: `pool/main/${name[0]}/${name}/${name}_1.0-1_amd64.deb`,
  size: 1000,
  sha256: HEX('c'),
  pocket: 'release',
  ...over,
});

function lock(over: Partial<Lock> = {}): Lock {
  return {
    lock_version: 2,
    recipe: 'tiny-1',
    inputs_digest: `sha256:${HEX('0')}`,
    suite: 'bookworm',
    pockets: ['security', 'updates'],
    architecture: 'amd64',
    resolved_at: '2026-11-28T12:00:00.000Z',
    snapshot: 'https://snapshot.debian.org/archive/debian/20261128T120000Z/',
    base: [deb('dash'), deb('coreutils')],
    packages: [deb('make')],
    sources: [
      { kind: 'url', location: 'https://example.org/x.tgz', size: 3, sha256: HEX('e') },
      { kind: 'file', location: 'files/tool.tgz', size: 3, sha256: HEX('f') },
      {
        kind: 'npm',
        package: 'npm',
        version: '10.9.9',
        tarball: 'npm/-/npm-10.9.9.tgz',
        integrity: SRI,
        size: 3,
        sha256: HEX('a'),
      },
    ],
    ...over,
  };
}

const RECIPE = `
name: tiny-1
language: tiny
version: "1.0"
description: d
base: bookworm
sources:
  - { kind: url, url: "https://example.org/x.tgz", sha256: "${HEX('e')}", dest: /opt/x }
  - { kind: file, path: files/tool.tgz, sha256: "${HEX('f')}", dest: /opt/t }
  - { kind: npm, package: npm, version: 10.9.9, dest: /opt/npm, integrity: "${SRI}" }
build:
  packages: [make]
runtime:
  packages: [dash, coreutils]
mounts:
  - { source: rootfs/usr, target: /usr, readonly: true }
`;

function recipe(edit: (text: string) => string = (t) => t): Recipe {
  return recipeFrom(edit(RECIPE));
}

const withPackage = (over: Partial<DebianInput>) => lock({ packages: [deb('make', over)] });
const withSource = (i: number, over: Record<string, unknown>) =>
  lock({ sources: lock().sources.map((s, j) => (j === i ? { ...s, ...over } : s)) as Lock['sources'] });

describe('checkLockShape: every field of a lock is validated', () => {
  it('accepts the well-formed lock', () => {
    expect(checkLockShape(lock())).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    [
      'a package name that climbs out',
      withPackage({ package: '../../../tmp/x/PWNED' }),
      'packages[0].package:',
    ],
    ['a package name with a slash', withPackage({ package: 'a/b' }), 'packages[0].package:'],
    [
      'an architecture that climbs out',
      withPackage({ architecture: '../../x' }),
      'packages[0].architecture:',
    ],
    ['an architecture with a newline', withPackage({ architecture: 'amd64\n' }), 'packages[0].architecture:'],
    ['a version with a slash', withPackage({ version: '1.0/../../x' }), 'packages[0].version:'],
    [
      'a filename outside the pool',
      withPackage({ filename: 'dists/bookworm/x.deb' }),
      'packages[0].filename:',
    ],
    [
      'a filename with ..',
      withPackage({ filename: 'pool/main/../../../etc/x.deb' }),
      'packages[0].filename:',
    ],
    [
      'a filename that is a URL',
      withPackage({ filename: 'http://evil.example/x.deb' }),
      'packages[0].filename:',
    ],
    ['a negative size', withPackage({ size: -1 }), 'packages[0].size:'],
    ['a size that is not a number', withPackage({ size: '10' as never }), 'packages[0].size:'],
    [
      'a package listed twice',
      lock({ packages: [deb('make'), deb('make')] }),
      'packages[1]: make:amd64 is listed twice',
    ],
    ['a base package name with a NUL', lock({ base: [deb('dash\0')] }), 'base[0].package:'],
    ['an unknown source kind', withSource(0, { kind: 'git' }), 'sources[0].kind:'],
    [
      'a url location with a control character',
      withSource(0, { location: 'https://e.org/\x1b[2J' }),
      'sources[0].location:',
    ],
    ['an npm tarball that climbs', withSource(2, { tarball: 'npm/../../x.tgz' }), 'sources[2].tarball:'],
    [
      'an npm tarball of another scheme',
      withSource(2, { tarball: 'file:///etc/shadow' }),
      'sources[2].tarball:',
    ],
    [
      'a weak npm integrity',
      withSource(2, { integrity: `sha1-${Buffer.alloc(20).toString('base64')}` }),
      'sources[2].integrity: only weak',
    ],
    [
      'an unknown integrity algorithm',
      withSource(2, { integrity: 'whirlpool-AAAA' }),
      'sources[2].integrity: unknown',
    ],
    ['an npm version range', withSource(2, { version: '^10.0.0' }), 'sources[2].version:'],
    ['a recipe name with a slash', lock({ recipe: '../x' }), 'recipe:'],
    ['a suite with a slash', lock({ suite: 'bookworm/../sid' }), 'suite:'],
    ['an architecture with a slash', lock({ architecture: 'amd64/..' }), 'architecture:'],
    ['a snapshot elsewhere', lock({ snapshot: 'https://evil.example/' }), 'snapshot:'],
    ['a pocket that is not one', lock({ pockets: ['proposed' as 'security'] }), 'pockets[0]:'],
    ['a pocket twice', lock({ pockets: ['security', 'security'] }), 'pockets[1]:'],
    [
      'a package from a pocket the lock does not take',
      withPackage({ pocket: 'backports' }),
      'packages[0].pocket:',
    ],
    ['a package without its pocket', withPackage({ pocket: undefined }), 'packages[0].pocket:'],
    ['a version 2 lock without pockets', lock({ pockets: undefined }), 'pockets:'],
    [
      'a version 1 lock with pockets',
      { ...lock({ base: [], packages: [] }), lock_version: 1 },
      'pockets: only in a lock_version 2 lock',
    ],
    ['an inputs digest that is not one', lock({ inputs_digest: 'sha256:x' }), 'inputs_digest:'],
  ])('refuses %s', (_what, value, problem) => {
    expect(checkLockShape(value)).toMatch(new RegExp(`^${problem.replace(/[[\]().]/g, '\\$&')}`));
  });

  it('accepts every committed lock in recipes/, and each agrees with its recipe', () => {
    const dir = path.join(REPO, 'recipes');
    const locks = readdirSync(dir).filter((f) => f.endsWith('.lock.json'));
    expect(locks.length).toBeGreaterThan(3);
    for (const f of locks) {
      const value = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
      expect(checkLockShape(value), f).toBeUndefined();
      const r = validateRecipe(readFileSync(path.join(dir, f.replace('.lock.json', '.yml')), 'utf8'), f);
      if ('errors' in r) throw new Error(f);
      expect(lockDisagreements(value as Lock, r.recipe), f).toEqual([]);
    }
  });
});

describe('lockDisagreements: the recipe’s pins win over the lock’s', () => {
  it('none for a lock that agrees', () => {
    expect(lockDisagreements(lock(), recipe())).toEqual([]);
  });

  it('a lock of other pockets than the recipe takes (a version 1 lock has none) disagrees', () => {
    expect(lockDisagreements(lock({ pockets: ['security'] }), recipe())).toEqual([
      'pockets: the lock takes [security], the recipe [security, updates]',
    ]);
    const v1 = { ...lock({ pockets: undefined }), lock_version: 1 } as Lock;
    expect(lockDisagreements(v1, recipe())).toEqual([
      'pockets: the lock takes [], the recipe [security, updates]',
    ]);
    expect(
      lockDisagreements(
        v1,
        recipe((t) => t.replace('base: bookworm', 'base: bookworm\npockets: []')),
      ),
    ).toEqual([]);
  });

  it.each<[string, Lock, string]>([
    ['another recipe’s lock', lock({ recipe: 'other-1' }), "recipe: the lock is for 'other-1', not 'tiny-1'"],
    ['another suite', lock({ suite: 'sid' }), "suite: the lock says sid, the recipe's base is bookworm"],
    [
      'a recipe package missing',
      lock({ packages: [] }),
      'packages: make, a package of the recipe, is not in the lock',
    ],
    [
      'another URL and its hash',
      withSource(0, { location: 'https://evil.example/x.tgz', sha256: HEX('9') }),
      'sources[0]: the lock fetches https://evil.example/x.tgz, the recipe https://example.org/x.tgz',
    ],
    [
      'another hash for the URL',
      withSource(0, { sha256: HEX('9') }),
      `sources[0].sha256: the lock says ${HEX('9')}`,
    ],
    [
      'another file',
      withSource(1, { location: '../../etc/shadow' }),
      'sources[1]: the lock fetches ../../etc/shadow',
    ],
    [
      'another npm version',
      withSource(2, { version: '10.9.8' }),
      'sources[2]: the lock pins npm@10.9.8, the recipe npm@10.9.9',
    ],
    [
      'another integrity than the recipe pins',
      withSource(2, { integrity: `sha256-${Buffer.alloc(32).toString('base64')}` }),
      'sources[2].integrity: the lock says sha256-',
    ],
    [
      'a source missing',
      lock({ sources: lock().sources.slice(0, 2) }),
      'sources: the lock has 2, the recipe 3',
    ],
    ['another kind', withSource(0, { kind: 'file' }), 'sources[0].kind: the lock says file, the recipe url'],
  ])('%s', (_what, l, message) => {
    const got = lockDisagreements(l, recipe());
    expect(
      got.some((m) => m.startsWith(message)),
      JSON.stringify(got),
    ).toBe(true);
  });
});
