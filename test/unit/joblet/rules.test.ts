/**
 * Joblet's resolution rules (src/joblet/rules.ts, read from upstream's resolver.go) over runtime
 * directories on disk, and where they part from `jrt exec`'s (src/joblet/compare.ts).
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareResolution, jobletClashes } from '../../../src/joblet/compare.js';
import { jobletParseSpec, jobletResolve } from '../../../src/joblet/rules.js';
import { scanAsJoblet } from '../../../src/joblet/scan.js';
import { listInstalled } from '../../../src/runner/resolve.js';
import { tempDir } from '../../helpers/temp.js';

/** A runtime directory `<root>/<rel>/` whose runtime.yml is `yml` verbatim. */
async function runtimeDir(root: string, rel: string, yml: string): Promise<string> {
  const dir = path.join(root, rel);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'runtime.yml'), yml);
  return dir;
}

const yml = (name: string, language: string, version: string, extra = '') =>
  `name: "${name}"\nlanguage: "${language}"\nversion: ${version}\nmounts: []\nenvironment: {}\n${extra}`;

/** The four runtimes of the issue, as jrt 0.2.0 wrote them: node's version is its full version. */
async function jrt020Root(): Promise<string> {
  const root = await tempDir('jrt-joblet-rules-');
  await runtimeDir(root, 'java/java-17', yml('java-17', 'java', '"17"'));
  await runtimeDir(root, 'node/node-18', yml('node-18', 'node', '"18.20.8"'));
  await runtimeDir(root, 'python/python-3.11', yml('python-3.11', 'python', '"3.11"'));
  await runtimeDir(root, 'python/python-3.11-ml', yml('python-3.11-ml', 'python', '"3.11"', 'tags: [ml]\n'));
  return root;
}

const pick = (root: string, spec: string) =>
  jobletResolve(spec, scanAsJoblet(root))?.dir.slice(root.length + 1);

describe('Joblet spec parsing (parseRuntimeSpec)', () => {
  it.each([
    ['python:3.11+ml', { first: 'python', version: '3.11' }],
    ['java:17', { first: 'java', version: '17' }],
    ['node-18', { first: 'node', version: '18' }],
    ['python-3.11-ml', { first: 'python', version: undefined }],
    ['python-3.11-ml+gpu', { first: 'python', version: '3.11' }],
    ['node-18@18.20.8', { first: 'node-18', version: '18.20.8' }],
    ['node-18@latest', { first: 'node-18', version: undefined }],
  ])('%s', (spec, expected) => {
    expect(jobletParseSpec(spec)).toEqual(expected);
  });
});

describe('Joblet resolution over directories', () => {
  it('matches language and version exactly, ignores tags, first match in name order wins', async () => {
    const root = await jrt020Root();
    expect(pick(root, 'node:18')).toBeUndefined();
    expect(pick(root, 'node:18.20.8')).toBe('node/node-18');
    expect(pick(root, 'java:17')).toBe('java/java-17');
    expect(pick(root, 'python:3.11+ml')).toBe('python/python-3.11');
    expect(pick(root, 'python:3.11')).toBe('python/python-3.11');
    // A full name is found by runtime.yml's `name` first.
    expect(pick(root, 'python-3.11-ml')).toBe('python/python-3.11-ml');
    expect(pick(root, 'node-18@18.20.8')).toBe('node/node-18');
    expect(pick(root, 'node-18@18')).toBeUndefined();
  });

  it('reads the literal text of a scalar, as a Go string field does', async () => {
    const root = await tempDir('jrt-joblet-rules-');
    await runtimeDir(root, 'python/python-3.10', yml('python-3.10', 'python', '3.10'));
    expect(scanAsJoblet(root)[0]?.nested[0]?.version).toBe('3.10');
    expect(pick(root, 'python:3.10')).toBe('python/python-3.10');
  });

  it('skips symlinked runtime directories and scans hidden ones, which sort first', async () => {
    const root = await tempDir('jrt-joblet-rules-');
    const real = await runtimeDir(root, 'store/python-3.11', yml('python-3.11', 'python', '"3.11"'));
    await mkdir(path.join(root, 'python'));
    await symlink(real, path.join(root, 'python', 'python-3.11-link'));
    await runtimeDir(root, '.hidden/python-3.11-old', yml('python-3.11-old', 'python', '"3.11"'));
    expect(pick(root, 'python:3.11')).toBe('.hidden/python-3.11-old');
    const dirs = scanAsJoblet(root).flatMap((t) => t.nested.map((r) => r.dir));
    expect(dirs).not.toContain(path.join(root, 'python', 'python-3.11-link'));
  });

  it("reads Joblet's own layouts: <name>/<version>/ (highest semver for a bare name) and flat <name>/", async () => {
    const root = await tempDir('jrt-joblet-rules-');
    await runtimeDir(root, 'openjdk-21/1.3.1', yml('openjdk-21', 'openjdk', '"1.3.1"'));
    await runtimeDir(root, 'openjdk-21/1.10.0', yml('openjdk-21', 'openjdk', '"1.10.0"'));
    await runtimeDir(root, 'python-3.11', yml('python-3.11', 'python', '"3.11"'));
    expect(pick(root, 'openjdk-21')).toBe('openjdk-21/1.10.0');
    expect(pick(root, 'openjdk-21@1.3.1')).toBe('openjdk-21/1.3.1');
    expect(pick(root, 'python-3.11')).toBe('python-3.11');
    expect(pick(root, 'python:3.11')).toBe('python-3.11');
  });
});

describe('Joblet against jrt exec', () => {
  it('reports every spec the two resolve differently, with what to do', async () => {
    const root = await jrt020Root();
    const verdicts = compareResolution(await listInstalled(root), scanAsJoblet(root));
    const table = Object.fromEntries(
      verdicts.map((v) => [v.spec, [v.jrt?.name ?? null, v.joblet?.name ?? null, v.same]]),
    );
    expect(table).toEqual({
      'node:18': ['node-18', null, false],
      'java:17': ['java-17', 'java-17', true],
      'python:3.11+ml': ['python-3.11-ml', 'python-3.11', false],
      'python:3.11': ['python-3.11', 'python-3.11', true],
      'java-17': ['java-17', 'java-17', true],
      'node-18': ['node-18', 'node-18', true],
      'python-3.11': ['python-3.11', 'python-3.11', true],
      'python-3.11-ml': ['python-3.11-ml', 'python-3.11-ml', true],
    });
    const node = verdicts.find((v) => v.spec === 'node:18')!;
    expect(node.problem).toContain("version '18.20.8'");
    expect(node.fix).toContain('node-18');
    const ml = verdicts.find((v) => v.spec === 'python:3.11+ml')!;
    expect(ml.fix).toContain('python-3.11-ml');
  });

  it('reports a spec jrt refuses but Joblet runs (it drops tags)', async () => {
    const root = await tempDir('jrt-joblet-rules-');
    await runtimeDir(
      root,
      'python/python-3.11-ml',
      yml('python-3.11-ml', 'python', '"3.11"', 'tags: [ml]\n'),
    );
    const verdicts = compareResolution(await listInstalled(root), scanAsJoblet(root));
    expect(verdicts.find((x) => x.spec === 'python:3.11')).toMatchObject({
      jrt: undefined,
      joblet: { name: 'python-3.11-ml' },
      same: false,
    });
    // The other way round: an ML job on a host with only the plain runtime silently gets it.
    const plain = await tempDir('jrt-joblet-rules-');
    await runtimeDir(plain, 'python/python-3.11', yml('python-3.11', 'python', '"3.11"'));
    const v = compareResolution(await listInstalled(plain), scanAsJoblet(plain));
    expect(v.find((x) => x.spec === 'python:3.11+ml')).toMatchObject({
      jrt: undefined,
      joblet: { name: 'python-3.11' },
      same: false,
    });
  });

  it('names the runtimes Joblet cannot tell apart', async () => {
    const root = await jrt020Root();
    expect(jobletClashes(scanAsJoblet(root))).toEqual([
      { language: 'python', version: '3.11', names: ['python-3.11', 'python-3.11-ml'] },
    ]);
  });

  it('agrees when runtime.yml says the version specs name and no two runtimes clash', async () => {
    const root = await tempDir('jrt-joblet-rules-');
    await runtimeDir(root, 'java/java-17', yml('java-17', 'java', '"17"'));
    await runtimeDir(root, 'java/java-21', yml('java-21', 'java', '"21"'));
    await runtimeDir(root, 'node/node-18', yml('node-18', 'node', '"18"', 'full_version: "18.20.8"\n'));
    await runtimeDir(root, 'python/python-3.13', yml('python-3.13', 'python', '"3.13"'));
    const verdicts = compareResolution(await listInstalled(root), scanAsJoblet(root));
    expect(verdicts.filter((v) => !v.same)).toEqual([]);
    expect(verdicts.map((v) => v.spec)).toEqual(
      expect.arrayContaining(['node:18', 'java:17', 'java:21', 'python:3.13']),
    );
  });
});
