import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertLockMatches,
  type DebianInput,
  inputsDigest,
  type Lock,
  lockDigest,
  lockPathFor,
  readRecipeLock,
  serializeLock,
  sourceDateEpoch,
} from '../../../src/builder/lock.js';
import { checkLockShape } from '../../../src/builder/lock-check.js';
import { JrtError } from '../../../src/core/errors.js';
import type { Recipe } from '../../../src/recipe/types.js';
import { tempDir } from '../../helpers/temp.js';
import { HEX, recipeFrom } from './lock-fixture.js';

const deb = (name: string, c: string): DebianInput => ({
  package: name,
  version: '1.0-1',
  architecture: 'amd64',
  filename: `pool/main/${name[0]}/${name}/${name}_1.0-1_amd64.deb`,
  size: 1000,
  sha256: HEX(c),
});

function lock(over: Partial<Lock> = {}): Lock {
  return {
    lock_version: 1,
    recipe: 'tiny-1',
    inputs_digest: `sha256:${HEX('0')}`,
    suite: 'bookworm',
    architecture: 'amd64',
    resolved_at: '2026-11-28T12:00:00.000Z',
    snapshot: 'https://snapshot.debian.org/archive/debian/20261128T120000Z/',
    base: [deb('libc6', 'a'), deb('dash', 'b')],
    packages: [deb('zlib1g', 'c'), deb('libssl3', 'd')],
    sources: [{ kind: 'url', location: 'https://example.org/x.tgz', size: 3, sha256: HEX('e') }],
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
build:
  packages: [make]
  steps: [{ name: s, run: "true" }]
runtime:
  packages: [dash, coreutils]
mounts:
  - { source: rootfs/usr, target: /usr, readonly: true }
`;

function recipe(edit: (text: string) => string = (t) => t): Recipe {
  return recipeFrom(edit(RECIPE));
}

describe('checkLockShape', () => {
  it('accepts a well-formed lock', () => {
    expect(checkLockShape(lock())).toBeUndefined();
    expect(checkLockShape(JSON.parse(serializeLock(lock())))).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'lock', 'must be an object'],
    ['null', null, 'must be an object'],
    ['another version', { ...lock(), lock_version: 3 }, 'lock_version: must be 1 or 2'],
    ['a field of the wrong type', { ...lock(), suite: 12 }, 'suite: must be a string'],
    ['a missing field', { ...lock(), snapshot: undefined }, 'snapshot: must be a string'],
    ['a date that is not one', { ...lock(), resolved_at: 'yesterday' }, 'resolved_at: must be a date'],
    ['packages not a list', { ...lock(), packages: {} }, 'packages: must be an array'],
    [
      'a package without a filename',
      { ...lock(), base: [{ ...deb('libc6', 'a'), filename: undefined }] },
      'base[0]: needs package, version and filename',
    ],
    [
      'an uppercase sha256',
      { ...lock(), packages: [deb('zlib1g', 'c'), deb('libssl3', 'D')] },
      'packages[1].sha256: must be 64 hex digits',
    ],
    [
      'a short source sha256',
      { ...lock(), sources: [{ kind: 'url', location: 'x', size: 1, sha256: 'abc' }] },
      'sources[0].sha256: must be 64 hex digits',
    ],
  ])('refuses %s', (_what, value, problem) => {
    expect(checkLockShape(value)).toBe(problem);
  });
});

describe('serializeLock', () => {
  it('sorts package lists by name, keeps sources in recipe order, ends with a newline', () => {
    const text = serializeLock(lock());
    const back = JSON.parse(text) as Lock;
    expect(back.base.map((p) => p.package)).toEqual(['dash', 'libc6']);
    expect(back.packages.map((p) => p.package)).toEqual(['libssl3', 'zlib1g']);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('is the same text whatever order the packages were resolved in', () => {
    const a = lock();
    const b = lock({ base: [...a.base].reverse(), packages: [...a.packages].reverse() });
    expect(serializeLock(b)).toBe(serializeLock(a));
    expect(lockDigest(b)).toBe(lockDigest(a));
  });

  it('does not reorder the caller’s lists', () => {
    const a = lock();
    serializeLock(a);
    expect(a.base.map((p) => p.package)).toEqual(['libc6', 'dash']);
  });

  it('round-trips: serializing the parsed text gives the same text', () => {
    const text = serializeLock(lock());
    expect(serializeLock(JSON.parse(text))).toBe(text);
  });

  it('changes the digest when any pinned input changes', () => {
    const a = lockDigest(lock());
    expect(lockDigest(lock({ packages: [deb('zlib1g', 'f'), deb('libssl3', 'd')] }))).not.toBe(a);
    expect(lockDigest(lock({ resolved_at: '2026-11-28T12:00:01.000Z' }))).not.toBe(a);
    expect(lockDigest(lock())).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('inputsDigest', () => {
  const base = inputsDigest(recipe());

  it('is stable for the same recipe', () => {
    expect(inputsDigest(recipe())).toBe(base);
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.each<[string, (t: string) => string]>([
    ['the suite', (t) => t.replace('base: bookworm', 'base: trixie')],
    ['a runtime package added', (t) => t.replace('[dash, coreutils]', '[dash, coreutils, grep]')],
    ['a build package', (t) => t.replace('[make]', '[make, gcc]')],
    ['a source checksum', (t) => t.replace(HEX('e'), HEX('f'))],
    ['a source destination', (t) => t.replace('dest: /opt/x', 'dest: /opt/y')],
  ])('changes with %s', (_what, edit) => {
    expect(inputsDigest(recipe(edit))).not.toBe(base);
  });

  it.each<[string, (t: string) => string]>([
    ['the description', (t) => t.replace('description: d', 'description: other words')],
    ['a build step', (t) => t.replace('run: "true"', 'run: "exit 0"')],
    ['a mount', (t) => t.replace('readonly: true', 'readonly: false')],
    ['the version', (t) => t.replace('version: "1.0"', 'version: "1.1"')],
  ])('does not change with %s (not an input of the lock)', (_what, edit) => {
    expect(inputsDigest(recipe(edit))).toBe(base);
  });
});

describe('lock helpers', () => {
  it('places the lock next to the recipe, named after the recipe (NAME.lock.json), not its file', () => {
    expect(lockPathFor('/r/java-21.yml', 'java-21')).toBe('/r/java-21.lock.json');
    expect(lockPathFor('/r/tiny.yaml', 'tiny-1')).toBe('/r/tiny-1.lock.json');
  });

  it('reads a lock by the recipe file’s name (jrt 0.2) only when NAME.lock.json is missing, with a warning', async () => {
    const dir = await tempDir('jrt-lockname-');
    const recipeFile = path.join(dir, 'tiny.yml');
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(await readRecipeLock(recipeFile, 'tiny-1', warn)).toEqual({
      lock: undefined,
      file: path.join(dir, 'tiny-1.lock.json'),
    });
    writeFileSync(path.join(dir, 'tiny.lock.json'), serializeLock(lock({ recipe: 'old-name' })));
    const legacy = await readRecipeLock(recipeFile, 'tiny-1', warn);
    expect(legacy.file).toBe(path.join(dir, 'tiny.lock.json'));
    expect(legacy.lock?.recipe).toBe('old-name');
    expect(warnings).toEqual([
      `${path.join(dir, 'tiny.lock.json')} is named after the recipe file; locks are now named after the recipe: rename it to tiny-1.lock.json (jrt writes ${path.join(dir, 'tiny-1.lock.json')} from now on)`,
    ]);
    writeFileSync(path.join(dir, 'tiny-1.lock.json'), serializeLock(lock({ recipe: 'tiny-1' })));
    const current = await readRecipeLock(recipeFile, 'tiny-1', warn);
    expect(current.lock?.recipe).toBe('tiny-1');
    expect(current.file).toBe(path.join(dir, 'tiny-1.lock.json'));
    expect(warnings).toHaveLength(1);
  });

  it('takes SOURCE_DATE_EPOCH from resolved_at, in whole seconds', () => {
    expect(sourceDateEpoch(lock({ resolved_at: '2026-11-28T12:00:00.999Z' }))).toBe(1795867200);
  });

  it('assertLockMatches: missing is a usage error (2), drift a failure (1)', () => {
    const missing = (() => {
      try {
        assertLockMatches(undefined, 'tiny-1', 'sha256:x', '/r/tiny.lock.json');
      } catch (e) {
        return e;
      }
    })() as JrtError;
    expect(missing).toBeInstanceOf(JrtError);
    expect([missing.code, missing.exitCode]).toEqual(['ERR_JRT_LOCK_MISSING', 2]);
    expect(() => assertLockMatches(lock(), 'tiny-1', 'sha256:other', '/r/tiny.lock.json')).toThrow(
      /--locked: the recipe's inputs .* changed since \/r\/tiny\.lock\.json/,
    );
    expect(() =>
      assertLockMatches(lock(), 'tiny-1', lock().inputs_digest, '/r/tiny.lock.json'),
    ).not.toThrow();
  });
});
