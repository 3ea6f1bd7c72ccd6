import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareVersions,
  type InstalledRuntime,
  listInstalled,
  parseRuntimeSpec,
  readRuntimeDescription,
  resolveRuntimeSpec,
} from '../../../src/runner/resolve.js';

const rt = (name: string, language: string, version: string, tags: string[] = [], aliases: string[] = []) =>
  ({ dir: `/r/${language}/${name}`, name, language, version, tags, aliases }) satisfies InstalledRuntime;

const INSTALLED: InstalledRuntime[] = [
  rt('python-3.11-ml', 'python', '3.11', ['ml']),
  rt('python-3.11', 'python', '3.11'),
  rt('python-3.13', 'python', '3.13'),
  rt('java-17', 'java', '17', [], ['jdk17']),
  rt('java-21', 'java', '21'),
  rt('node-18.9', 'node', '18.9.0'),
  rt('node-18.10', 'node', '18.10.1'),
  rt('node-20', 'node', '20.11.0'),
];

describe('parseRuntimeSpec', () => {
  it.each([
    ['python:3.11+ml', { kind: 'lang', language: 'python', version: '3.11', tags: ['ml'] }],
    ['python:3.11+ml+gpu', { kind: 'lang', language: 'python', version: '3.11', tags: ['gpu', 'ml'] }],
    ['java:17', { kind: 'lang', language: 'java', version: '17', tags: [] }],
    ['java:', { kind: 'lang', language: 'java', version: undefined, tags: [] }],
    ['python-3.11-ml', { kind: 'name', name: 'python-3.11-ml', version: undefined }],
    ['java-17@17.0.2', { kind: 'name', name: 'java-17', version: '17.0.2' }],
  ])('%s', (spec, expected) => {
    expect(parseRuntimeSpec(spec)).toEqual(expected);
  });

  it.each([
    'python;rm -rf /',
    'java 17',
    '../java-17',
    'java/17',
    '',
    'a:b:c',
    ':17',
    'python:3.11+',
    'java@',
    'x@1@2',
    'name+tag',
    'jävä',
  ])('rejects %j with a usage error', (spec) => {
    expect(() => parseRuntimeSpec(spec)).toThrow(
      expect.objectContaining({ code: 'ERR_JRT_BAD_RUNTIME_SPEC', exitCode: 2 }),
    );
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.10', '1.9', 1],
    ['1.9', '1.10', -1],
    ['18.10.1', '18.9.0', 1],
    ['17', '17.0.2', -1],
    ['3.11', '3.11', 0],
    ['21', '17', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});

describe('resolveRuntimeSpec', () => {
  it.each([
    ['python:3.11+ml', 'python-3.11-ml'],
    ['python:3.11', 'python-3.11'],
    ['python:3', 'python-3.13'],
    ['java:17', 'java-17'],
    ['java:', 'java-21'],
    ['node:18', 'node-18.10'],
    ['node:18.9', 'node-18.9'],
    ['python-3.11-ml', 'python-3.11-ml'],
    ['java-17@17', 'java-17'],
    ['jdk17', 'java-17'],
    ['node-20@20.11', 'node-20'],
  ])('%s → %s', (spec, name) => {
    expect(resolveRuntimeSpec(spec, INSTALLED).name).toBe(name);
  });

  it.each([
    ['python:3.11+gpu', 'python-3.11'],
    ['python:3.1', 'python-3.11'],
    ['java:1', 'java-17'],
    ['java-17@21', 'java-17'],
    ['ruby:3', undefined],
  ])('%s matches nothing (tags and versions are exact)', (spec, closest) => {
    try {
      resolveRuntimeSpec(spec, INSTALLED);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'ERR_JRT_RUNTIME_NOT_FOUND', exitCode: 2 });
      const hint = (e as { hint: string }).hint;
      expect(hint).toContain('installed: java-17, java-21, node-18.10');
      if (closest) expect(hint).toContain(`closest: ${closest}`);
    }
  });

  it("a name means jrt's runtime over one of Joblet's layouts, and NAME@VERSION reaches the old one by its version", () => {
    const both: InstalledRuntime[] = [
      rt('demo-1', 'demo', '1.0'),
      { ...rt('demo-1', 'demo', '9.0'), dir: '/r/demo-1', layout: 'flat' },
    ];
    expect(resolveRuntimeSpec('demo-1', both).dir).toBe('/r/demo/demo-1');
    expect(resolveRuntimeSpec('demo-1@1.0', both).dir).toBe('/r/demo/demo-1');
    expect(resolveRuntimeSpec('demo-1@9.0', both).dir).toBe('/r/demo-1');
  });

  it('an exact name always beats an alias, whatever the versions (names are looked up first)', () => {
    const claimed = [
      rt('java-17', 'java', '17.0.2'),
      rt('evil-1', 'demo', '99', [], ['java-17', 'python-3.11-ml']),
      rt('python-3.11-ml', 'python', '3.11', ['ml']),
    ];
    expect(resolveRuntimeSpec('java-17', claimed).name).toBe('java-17');
    expect(resolveRuntimeSpec('python-3.11-ml', claimed).name).toBe('python-3.11-ml');
    // With no runtime of that name, the alias still resolves.
    expect(resolveRuntimeSpec('java-17', claimed.slice(1)).name).toBe('evil-1');
    // A name@version whose named runtime has another version does not fall through to an alias.
    expect(() => resolveRuntimeSpec('java-17@99', claimed)).toThrow(
      expect.objectContaining({ code: 'ERR_JRT_RUNTIME_NOT_FOUND' }),
    );
  });

  it('says that nothing is installed', () => {
    expect(() => resolveRuntimeSpec('java:17', [])).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('no runtimes are installed') }),
    );
  });
});

describe('listInstalled', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'jrt-list-'));
    // JSON text is YAML too: these are runtime.yml files (without runtime.json: parsed as YAML).
    const add = async (rel: string, doc: string, file = 'runtime.yml') => {
      await mkdir(path.join(root, rel), { recursive: true });
      await writeFile(path.join(root, rel, file), doc);
    };
    await add(
      'java/java-17',
      JSON.stringify({ name: 'java-17', language: 'java', version: '17', aliases: ['jdk'] }),
    );
    // The installer's atomic switch: java-21 is a symlink to a versioned directory.
    await add('java/.java-21.v2', JSON.stringify({ name: 'java-21', language: 'java', version: '21' }));
    await add('java/java-21.v1', JSON.stringify({ name: 'java-21', language: 'java', version: '21' }));
    await symlink('java-21.v1', path.join(root, 'java', 'java-21'));
    await add(
      'python/python-3.11-ml',
      'name: python-3.11-ml\nlanguage: python\nversion: "3.11"\ntags: [ml]\n',
      'runtime.yml',
    );
    // jrt ≥ 0.3: `version` is what specs name (Joblet matches it exactly), full_version the exact one.
    await add(
      'node/node-18',
      'name: "node-18"\nlanguage: "node"\nversion: "18"\nfull_version: "18.20.8"\n',
      'runtime.yml',
    );
    await mkdir(path.join(root, 'node', 'empty'), { recursive: true });
    // Damaged descriptions: a job cannot run there, but `jrt runtime verify` must still see them.
    await add('node/node-broken', '{"name": "node-br');
    await add('node/node-scalar', 'just text\n', 'runtime.yml');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('lists runtimes once, under the symlink name, skipping staging and empty dirs', async () => {
    const list = await listInstalled(root);
    expect(list.map((r) => [r.name, r.language, r.version, r.tags, r.aliases])).toEqual([
      ['java-17', 'java', '17', [], ['jdk']],
      ['java-21', 'java', '21', [], []],
      ['node-18', 'node', '18.20.8', [], []],
      ['python-3.11-ml', 'python', '3.11', ['ml'], []],
    ]);
    expect(list[1]?.dir).toBe(path.join(root, 'java', 'java-21'));
  });

  it('resolves by full_version: node:18 to the newest 18.x, NAME@FULL_VERSION exactly', async () => {
    const list = await listInstalled(root);
    expect(resolveRuntimeSpec('node:18', list).name).toBe('node-18');
    expect(resolveRuntimeSpec('node:18.20', list).name).toBe('node-18');
    expect(resolveRuntimeSpec('node-18@18.20.8', list).name).toBe('node-18');
    expect(() => resolveRuntimeSpec('node-18@18.20.7', list)).toThrow(/no installed runtime matches/);
  });

  it('lists runtimes whose description cannot be read only when asked, saying why', async () => {
    const list = await listInstalled(root, { unreadable: true });
    expect(list.map((r) => r.name)).toEqual([
      'java-17',
      'java-21',
      'node-18',
      'node-broken',
      'node-scalar',
      'python-3.11-ml',
    ]);
    const broken = list.filter((r) => r.problem !== undefined);
    expect(broken.map((r) => [r.name, r.language, r.version, r.runtime])).toEqual([
      ['node-broken', 'node', '', undefined],
      ['node-scalar', 'node', '', undefined],
    ]);
    expect(broken[0]?.problem).toMatch(/^cannot read its runtime description: /);
    expect(broken[1]?.problem).toContain('is not a mapping');
    expect(list[0]?.runtime).toMatchObject({ name: 'java-17', aliases: ['jdk'] });
  });

  it('a directory with runtime.json but no runtime.yml is not a runtime (Joblet would not see it)', async () => {
    await mkdir(path.join(root, 'java', 'java-99'), { recursive: true });
    await writeFile(
      path.join(root, 'java', 'java-99', 'runtime.json'),
      JSON.stringify({ name: 'java-99', language: 'java', version: '99' }),
    );
    expect((await listInstalled(root, { unreadable: true })).map((r) => r.name)).not.toContain('java-99');
    await rm(path.join(root, 'java', 'java-99'), { recursive: true });
  });

  it('returns nothing for a missing root', async () => {
    expect(await listInstalled(path.join(root, 'nope'))).toEqual([]);
  });
});

describe('readRuntimeDescription', () => {
  const YML = 'name: demo-1\nlanguage: demo\nversion: "1.0"\naliases: [d]\n';
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'jrt-desc-'));
    await writeFile(path.join(dir, 'runtime.yml'), YML);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const json = (doc: object) => writeFile(path.join(dir, 'runtime.json'), JSON.stringify(doc));

  it('uses runtime.json when it is stamped with the sha256 of these runtime.yml bytes (the stamp is dropped)', async () => {
    // A stamped runtime.json that says something else proves the fast path took it, not the YAML.
    await json({ name: 'demo-1', language: 'cached', version: '1.0', runtime_yml_sha256: sha(YML) });
    expect(await readRuntimeDescription(dir)).toEqual({ name: 'demo-1', language: 'cached', version: '1.0' });
  });

  it.each([
    ["unstamped (0.2.0, or the artifact's own)", { name: 'demo-1', language: 'java', version: '17.999' }],
    [
      'stamped for other runtime.yml bytes',
      { language: 'java', runtime_yml_sha256: sha(`${YML}# edited\n`) },
    ],
    ['not a mapping', ['java']],
  ])('ignores a runtime.json that is %s, and reads runtime.yml', async (_what, doc) => {
    await json(doc);
    expect(await readRuntimeDescription(dir)).toEqual({
      name: 'demo-1',
      language: 'demo',
      version: '1.0',
      aliases: ['d'],
    });
  });

  it('ignores an unparsable runtime.json', async () => {
    await writeFile(path.join(dir, 'runtime.json'), '{"language": "ja');
    expect((await readRuntimeDescription(dir)).language).toBe('demo');
  });
});
