/**
 * Which spec entries jrt keeps for Joblet (src/joblet/spec-plan.ts), and that a spec directory makes
 * Joblet's rules (src/joblet/rules.ts) pick the runtime jrt resolves the spec to, whatever sorts first.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RuntimeYml } from '../../../src/core/runtime-format.js';
import { compareResolution, jobletClashes } from '../../../src/joblet/compare.js';
import { jobletEnvironmentDir, jobletResolve } from '../../../src/joblet/rules.js';
import { scanAsJoblet } from '../../../src/joblet/scan.js';
import { isSpecDirName, isSpecLink, specOf } from '../../../src/joblet/spec-names.js';
import { planSpecEntries, type SpecCandidate } from '../../../src/joblet/spec-plan.js';
import { listInstalled } from '../../../src/runner/resolve.js';
import { tempDir } from '../../helpers/temp.js';

function rt(
  name: string,
  language: string,
  version: string,
  more: { tags?: string[]; full?: string; managed?: boolean; layout?: SpecCandidate['layout'] } = {},
): SpecCandidate {
  const runtime = {
    name,
    language,
    version,
    mounts: [{ source: 'rootfs/usr', target: '/usr', readonly: true }],
    environment: { JAVA_HOME: '/usr/lib/jvm' },
    tags: more.tags ?? [],
  } as unknown as RuntimeYml;
  return {
    dir: `/r/${language}/${name}`,
    name,
    language,
    version: more.full ?? version,
    tags: more.tags ?? [],
    aliases: [],
    layout: more.layout ?? 'language',
    managed: more.managed ?? true,
    languageDir: language,
    runtime,
  };
}

describe('spec names', () => {
  it.each([
    [['python', '3.11', ['ml']], 'python:3.11+ml'],
    [['python', '3.11', ['ml', 'gpu']], 'python:3.11+gpu+ml'],
    [['node', '18', []], 'node:18'],
  ] as const)('specOf(%j) is %s', (args, spec) => {
    expect(specOf(args[0], args[1], args[2])).toBe(spec);
    expect(isSpecDirName(spec)).toBe(true);
  });

  it("a spec link is a spec's or a runtime's own name linked to <language>/<name>; nothing else is jrt's", () => {
    expect(isSpecLink('python:3.11+ml', 'python/python-3.11-ml')).toBe(true);
    expect(isSpecLink('python-3.11', 'python/python-3.11')).toBe(true);
    // An operator's own link: another name for a runtime (found by review: jrt removed it).
    expect(isSpecLink('python3', 'python/python-3.11-ml')).toBe(false);
    for (const t of ['/opt/x/y', '../python/python-3.11', 'python', 'a/b/c', '.jrt/x', 'python/.jrt-current'])
      expect(isSpecLink('python:3.11', t), t).toBe(false);
    expect(isSpecDirName('python-3.11-ml')).toBe(false);
  });

  it("Joblet's environment lookup reads the spec as submitted, one level below the base", () => {
    expect(jobletEnvironmentDir('python:3.11+ml')).toBe('python:3.11+ml');
    expect(jobletEnvironmentDir('node-18')).toBe('node-18');
  });
});

describe('planSpecEntries', () => {
  it('gives every jrt runtime a spec directory for its own spec and links for it and its name, each to what jrt resolves', () => {
    const plan = planSpecEntries([
      rt('python-3.11', 'python', '3.11', { full: '3.11.2' }),
      rt('python-3.11-ml', 'python', '3.11', { tags: ['ml'], full: '3.11.2' }),
      rt('node-18', 'node', '18', { full: '18.20.8' }),
    ]);
    expect(plan.dirs.map((d) => [d.languageDir, d.spec, d.target, d.links])).toEqual([
      ['node', 'node:18', 'node-18', ['rootfs']],
      ['python', 'python:3.11', 'python-3.11', ['rootfs']],
      ['python', 'python:3.11+ml', 'python-3.11-ml', ['rootfs']],
    ]);
    expect(plan.links).toEqual([
      { spec: 'node-18', target: 'node/node-18' },
      { spec: 'node:18', target: 'node/node-18' },
      { spec: 'python-3.11', target: 'python/python-3.11' },
      { spec: 'python-3.11-ml', target: 'python/python-3.11-ml' },
      { spec: 'python:3.11', target: 'python/python-3.11' },
      { spec: 'python:3.11+ml', target: 'python/python-3.11-ml' },
    ]);
    const ml = plan.dirs.find((d) => d.spec === 'python:3.11+ml')!;
    // Named by the spec, a version no spec parses to, the target's mounts and environment, and jrt's pointer.
    expect(ml.yml).toMatchObject({
      name: 'python:3.11+ml',
      language: 'python',
      version: '3.11+ml',
      environment: { JAVA_HOME: '/usr/lib/jvm' },
      spec_of: 'python-3.11-ml',
    });
  });

  it('links a spec directory only to real entries of its runtime, never over its own runtime.yml or to dot names', () => {
    const r = rt('odd-1', 'odd', '1');
    (r.runtime as RuntimeYml).mounts = [
      'rootfs/usr',
      'runtime.yml',
      '../x',
      '.jrt-current/y',
      'opt/z',
      './w',
    ].map((source) => ({ source, target: '/t', readonly: true }));
    expect(planSpecEntries([r]).dirs[0]?.links).toEqual(['opt', 'rootfs']);
  });

  it('points a spec two runtimes share at the one jrt runs (the newest), and leaves foreign runtimes alone', () => {
    const plan = planSpecEntries([
      rt('python-3.11-old', 'python', '3.11', { full: '3.11.2' }),
      rt('python-3.11', 'python', '3.11', { full: '3.11.9' }),
      rt('deploy-1', 'deploy', '1', { managed: false }),
      rt('flat-1', 'flat', '1', { layout: 'flat' }),
    ]);
    expect(plan.dirs.map((d) => [d.spec, d.target])).toEqual([['python:3.11', 'python-3.11']]);
    expect(plan.links.map((l) => [l.spec, l.target])).toEqual([
      ['python-3.11', 'python/python-3.11'],
      ['python-3.11-old', 'python/python-3.11-old'],
      ['python:3.11', 'python/python-3.11'],
    ]);
  });
});

async function runtimeDir(root: string, rel: string, yml: string): Promise<void> {
  await mkdir(path.join(root, rel), { recursive: true });
  await writeFile(path.join(root, rel, 'runtime.yml'), yml);
}

describe("a spec directory under Joblet's rules", () => {
  it("wins Joblet's first pass whatever sorts first, and counts as the runtime it stands for", async () => {
    const root = await tempDir('jrt-spec-plan-');
    const y = (name: string, version: string, extra = '') =>
      `name: "${name}"\nlanguage: "python"\nversion: "${version}"\nenvironment:\n  A: "1"\n${extra}`;
    // The tagged runtime sorts first: without spec directories Joblet runs it for python:3.11.
    await runtimeDir(root, 'python/python-3.11-a-ml', y('python-3.11-a-ml', '3.11', 'tags: [ml]\n'));
    await runtimeDir(root, 'python/python-3.11-b', y('python-3.11-b', '3.11'));
    const installed = await listInstalled(root);
    expect(jobletResolve('python:3.11', scanAsJoblet(root))?.name).toBe('python-3.11-a-ml');
    expect(jobletClashes(scanAsJoblet(root))).toHaveLength(1);

    await runtimeDir(root, 'python/python:3.11', y('python:3.11', '3.11', 'spec_of: "python-3.11-b"\n'));
    await runtimeDir(
      root,
      'python/python:3.11+ml',
      y('python:3.11+ml', '3.11+ml', 'spec_of: "python-3.11-a-ml"\n'),
    );
    // jrt's listing does not see them.
    expect((await listInstalled(root)).map((r) => r.name)).toEqual(['python-3.11-a-ml', 'python-3.11-b']);
    const scan = scanAsJoblet(root);
    expect(jobletResolve('python:3.11', scan)?.dir).toBe(path.join(root, 'python', 'python:3.11'));
    const verdicts = compareResolution(installed, scan, ['python:3.11', 'python:3.11+ml']);
    expect(verdicts.map((v) => [v.spec, v.jrt?.name, v.joblet?.name, v.same])).toEqual([
      ['python:3.11', 'python-3.11-b', 'python-3.11-b', true],
      ['python:3.11+ml', 'python-3.11-a-ml', 'python-3.11-a-ml', true],
      ['python-3.11-a-ml', 'python-3.11-a-ml', 'python-3.11-a-ml', true],
      ['python-3.11-b', 'python-3.11-b', 'python-3.11-b', true],
    ]);
    // Both runtimes reachable by a spec of their own: no clash left to warn about.
    expect(jobletClashes(scan)).toEqual([]);
  });

  it("reports where Joblet's environment lookup reads another runtime's runtime.yml, or none", async () => {
    const root = await tempDir('jrt-spec-plan-');
    await runtimeDir(
      root,
      'java/java-17',
      'name: java-17\nlanguage: java\nversion: "17"\nenvironment:\n  JAVA_HOME: /j\n',
    );
    await runtimeDir(root, 'node/node-18', 'name: node-18\nlanguage: node\nversion: "18"\nenvironment: {}\n');
    const installed = await listInstalled(root);
    const lookups: Record<string, string> = { 'java:17': '/elsewhere' };
    const verdicts = compareResolution(installed, scanAsJoblet(root), ['java:17', 'node:18'], {
      lookup: (spec) => lookups[spec],
      real: (dir) => dir,
    });
    expect(verdicts.map((v) => [v.spec, v.same, v.environment])).toEqual([
      ['java:17', false, 'other'],
      ['node:18', true, 'unneeded'],
      ['java-17', false, 'missing'],
      ['node-18', true, 'unneeded'],
    ]);
    expect(verdicts[2]?.problem).toContain('<base>/java-17/runtime.yml, which does not exist');
    expect(verdicts[2]?.problem).toContain('JAVA_HOME');
  });
});
