/**
 * Joblet's spec entries kept by the installer (src/installer/spec-entries.ts): with python-3.11 and
 * python-3.11-ml both installed, Joblet's rules (src/joblet/rules.ts, as `jrt doctor --joblet`
 * applies them) resolve every spec as `jrt exec` does, its environment lookup reads the right
 * runtime.yml, and remove / reinstall leave no spec directory or link behind that points nowhere.
 * Fixture artifacts (test/unit/artifact/fixture.ts), installed in-process.
 */
import { realpathSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JrtPaths } from '../../../src/core/paths.js';
import { jobletReport } from '../../../src/doctor/joblet.js';
import type { BuildRuntime } from '../../../src/installer/builder.js';
import { healSpecEntries, type InstallOptions, installTargets } from '../../../src/installer/install.js';
import { cleanDebris } from '../../../src/installer/place.js';
import { removeInstalled } from '../../../src/installer/remove.js';
import { syncSpecEntries } from '../../../src/installer/spec-entries.js';
import { compareResolution, jobletClashes } from '../../../src/joblet/compare.js';
import { jobletResolve } from '../../../src/joblet/rules.js';
import { environmentLookupAsJoblet, scanAsJoblet } from '../../../src/joblet/scan.js';
import { listInstalled } from '../../../src/runner/resolve.js';
import { makeArtifact, tempDir, tempJrtPaths } from '../../unit/artifact/fixture.js';

const paths = (): Promise<JrtPaths> => tempJrtPaths('jrt-specs-');

const noBuild: BuildRuntime = async () => {
  throw new Error('no builds here');
};

function options(p: JrtPaths, notes: string[] = []): InstallOptions {
  const o = { paths: p, env: {}, force: false, offline: true, locked: true, build: noBuild };
  return { ...o, onProgress: () => {}, note: (s) => notes.push(s) };
}

/** The four runtimes of issue 10's done-when, each with a payload naming it. */
const FOUR = [
  { name: 'java-17', language: 'java', version: '17', tags: [] },
  { name: 'node-18', language: 'node', version: '18', fullVersion: '18.20.8', tags: [] },
  { name: 'python-3.11', language: 'python', version: '3.11', tags: [] },
  { name: 'python-3.11-ml', language: 'python', version: '3.11', tags: ['ml'] },
];

async function install(p: JrtPaths, which: typeof FOUR, payload = 'v1') {
  const dir = await tempDir('jrt-specs-art-');
  const targets = [];
  for (const r of which) {
    const { file } = await makeArtifact(dir, { ...r, payload: `${r.name}-${payload}` });
    targets.push({ kind: 'artifact' as const, file });
  }
  const out = await installTargets(targets, options(p));
  expect(out.map((o) => [o.name, o.result, o.error])).toEqual(
    which.map((r) => [r.name, 'installed', undefined]),
  );
}

/** What a job run by Joblet for `spec` would execute: the payload of /usr/bin/hello in the directory it picks. */
async function jobletHello(root: string, spec: string): Promise<string | undefined> {
  const picked = jobletResolve(spec, scanAsJoblet(root));
  if (!picked) return undefined;
  return (await readFile(path.join(picked.dir, 'rootfs/usr/bin/hello'), 'utf8')).split(' ')[2]?.trim();
}

/** Every symlink at the root's top level or in a language directory must resolve. */
async function danglingLinks(root: string): Promise<string[]> {
  const out: string[] = [];
  const check = async (p: string) => {
    if ((await lstat(p)).isSymbolicLink() && !(await realpath(p).catch(() => undefined))) out.push(p);
  };
  for (const top of await readdir(root)) {
    await check(path.join(root, top));
    if (top.startsWith('.') || (await lstat(path.join(root, top))).isSymbolicLink()) continue;
    for (const e of await readdir(path.join(root, top))) {
      await check(path.join(root, top, e));
      if (e.includes(':'))
        for (const f of await readdir(path.join(root, top, e))) await check(path.join(root, top, e, f));
    }
  }
  return out;
}

const DONE_WHEN = ['node:18', 'java:17', 'python:3.11+ml', 'python:3.11', 'node-18', 'java-17'];

describe("Joblet's spec entries", () => {
  it('with python-3.11 and python-3.11-ml both installed, Joblet resolves every spec of the done-when as jrt does', async () => {
    const p = await paths();
    await install(p, FOUR);
    // Under Joblet's rules the ML job runs the ML runtime's files, the plain one the plain runtime's.
    expect(await jobletHello(p.root, 'python:3.11+ml')).toBe('python-3.11-ml-v1');
    expect(await jobletHello(p.root, 'python:3.11')).toBe('python-3.11-v1');
    expect(await jobletHello(p.root, 'node:18')).toBe('node-18-v1');
    expect(await jobletHello(p.root, 'java:17')).toBe('java-17-v1');

    const installed = await listInstalled(p.root);
    expect(installed.map((r) => r.name)).toEqual(['java-17', 'node-18', 'python-3.11', 'python-3.11-ml']);
    const verdicts = compareResolution(installed, scanAsJoblet(p.root), DONE_WHEN, {
      lookup: (spec) => environmentLookupAsJoblet(p.root, spec),
      real: (dir) => realpathSync(dir),
    });
    const report = await jobletReport(p.root);
    for (const spec of DONE_WHEN) {
      const v = report.specs.find((s) => s.spec === spec);
      expect(v, spec).toMatchObject({ same: true, environment: 'same' });
      expect(verdicts.find((s) => s.spec === spec)?.jrt).toEqual(v?.jrt);
    }
    expect(report.ok).toBe(true);
    expect(report.clashes).toEqual([]);
    expect(jobletClashes(scanAsJoblet(p.root))).toEqual([]);

    // The server's environment lookup reads <base>/<spec>/runtime.yml, the spec as submitted.
    for (const [spec, dir] of [
      ['python:3.11+ml', 'python/python-3.11-ml'],
      ['python:3.11', 'python/python-3.11'],
      ['node:18', 'node/node-18'],
      ['node-18', 'node/node-18'],
      ['java-17', 'java/java-17'],
    ] as const)
      expect(environmentLookupAsJoblet(p.root, spec), spec).toBe(realpathSync(path.join(p.root, dir)));
    expect(await readlink(path.join(p.root, 'python:3.11+ml'))).toBe('python/python-3.11-ml');
    expect(await danglingLinks(p.root)).toEqual([]);
  });

  it('remove takes the spec entries first, reinstall brings them back, and nothing dangles', async () => {
    const p = await paths();
    await install(p, FOUR);
    await removeInstalled(p, 'python-3.11-ml', { force: false });
    expect(await readdir(path.join(p.root, 'python'))).toEqual(['.jrt', 'python-3.11', 'python:3.11']);
    expect(
      (await readdir(path.join(p.root, 'python', '.jrt'))).filter(
        (v) => v.includes('3.11-ml') || v.includes('+ml'),
      ),
    ).toEqual([]);
    await expect(lstat(path.join(p.root, 'python:3.11+ml'))).rejects.toThrow();
    await expect(lstat(path.join(p.root, 'python-3.11-ml'))).rejects.toThrow();
    expect(await danglingLinks(p.root)).toEqual([]);
    // Joblet now runs the plain runtime for the ML spec, and jrt refuses it: said, not silent.
    const after = await jobletReport(p.root);
    expect(after.specs.find((s) => s.spec === 'python:3.11+ml')).toMatchObject({
      same: false,
      jrt: undefined,
    });

    await install(p, [FOUR[3]!], 'v2');
    expect(await jobletHello(p.root, 'python:3.11+ml')).toBe('python-3.11-ml-v2');
    expect(await jobletHello(p.root, 'python:3.11')).toBe('python-3.11-v1');
    expect((await jobletReport(p.root)).ok).toBe(true);
    expect(await danglingLinks(p.root)).toEqual([]);

    // A reinstall of a new version switches the spec directory's runtime.yml with it.
    await install(p, [FOUR[3]!], 'v3');
    expect(await jobletHello(p.root, 'python:3.11+ml')).toBe('python-3.11-ml-v3');
    const specVersions = (await readdir(path.join(p.root, 'python', '.jrt'))).filter((v) =>
      v.startsWith('python:3.11+ml@'),
    );
    expect(specVersions).toHaveLength(1);
    expect(await danglingLinks(p.root)).toEqual([]);
  });

  it("after 'rnx runtime remove NAME@VERSION' (the directory of links only), doctor says so and the next install drops the stale entries", async () => {
    const p = await paths();
    await install(p, FOUR);
    // What Joblet's remove does for a spec with '@': os.RemoveAll of the directory it resolves.
    await rm(path.join(p.root, 'python', 'python-3.11-ml'), { recursive: true });
    const report = await jobletReport(p.root);
    const ml = report.specs.find((s) => s.spec === 'python:3.11+ml');
    expect(ml).toMatchObject({ same: false, jrt: undefined });
    expect(ml?.problem).toContain('which is gone');
    expect(report.orphans).toHaveLength(1);
    await healSpecEntries(p, () => {});
    await expect(lstat(path.join(p.root, 'python', 'python:3.11+ml'))).rejects.toThrow();
    await expect(lstat(path.join(p.root, 'python:3.11+ml'))).rejects.toThrow();
    expect(await danglingLinks(p.root)).toEqual([]);
    expect(await jobletHello(p.root, 'python:3.11')).toBe('python-3.11-v1');
  });

  it("clean-up of a crash's debris never goes through a spec link into a runtime's files", async () => {
    const p = await paths();
    await install(p, [FOUR[2]!]);
    // A file of the runtime's own tree that looks like jrt's debris of a dead process.
    const own = path.join(p.root, 'python', 'python-3.11', 'rootfs', '.jrt-link-999999999');
    await writeFile(own, 'part of the runtime\n');
    expect(await cleanDebris(p.root, p.state)).toEqual([]);
    expect(await readFile(own, 'utf8')).toBe('part of the runtime\n');
  });

  it("a runtime named like another's language: its spec link gives way to that language's directory", async () => {
    const p = await paths();
    await install(p, [{ name: 'tool', language: 'x', version: '1', tags: [] }]);
    expect(await readlink(path.join(p.root, 'tool'))).toBe('x/tool');
    const notes: string[] = [];
    const dir = await tempDir('jrt-specs-art-');
    const { file } = await makeArtifact(dir, { name: 'tool-2', language: 'tool', version: '2', tags: [] });
    const [r] = await installTargets([{ kind: 'artifact', file }], options(p, notes));
    expect(r?.result).toBe('installed');
    // A real language directory now, and the other runtime untouched.
    expect((await lstat(path.join(p.root, 'tool'))).isDirectory()).toBe(true);
    expect(await readdir(path.join(p.root, 'x', 'tool'))).not.toContain('.jrt');
    expect((await listInstalled(p.root)).map((x) => x.dir)).toEqual([
      path.join(p.root, 'tool', 'tool-2'),
      path.join(p.root, 'x', 'tool'),
    ]);
    expect(notes.join('\n')).toContain(
      `${path.join(p.root, 'tool')} was not made by jrt, so the spec entry Joblet needs there was left out`,
    );
  });

  it('a second sync changes nothing, and entries that went astray are put right', async () => {
    const p = await paths();
    await install(p, FOUR);
    expect(await syncSpecEntries(p.root, p.state)).toEqual({ made: [], removed: [], blocked: [] });
    // One link lost, one pointing at the wrong runtime, one left by a runtime that is gone.
    await rm(path.join(p.root, 'python:3.11+ml'));
    await rm(path.join(p.root, 'python:3.11'));
    await symlink('python/python-3.11-ml', path.join(p.root, 'python:3.11'));
    await symlink('gone/gone-1', path.join(p.root, 'gone-1'));
    // A directory of someone else's where a spec directory would go is left alone, and said.
    await rm(path.join(p.root, 'node', 'node:18'), { recursive: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(p.root, 'node', 'node:18'));
    await writeFile(path.join(p.root, 'node', 'node:18', 'mine'), 'x');
    const r = await syncSpecEntries(p.root, p.state);
    expect(r.removed).toEqual([path.join(p.root, 'gone-1')]);
    expect(r.blocked).toEqual([path.join(p.root, 'node', 'node:18')]);
    expect(await readFile(path.join(p.root, 'node', 'node:18', 'mine'), 'utf8')).toBe('x');
    await rm(path.join(p.root, 'node', 'node:18'), { recursive: true });
    expect((await syncSpecEntries(p.root, p.state)).blocked).toEqual([]);
    expect(await readlink(path.join(p.root, 'python:3.11+ml'))).toBe('python/python-3.11-ml');
    expect(await readlink(path.join(p.root, 'python:3.11'))).toBe('python/python-3.11');
    expect((await jobletReport(p.root)).ok).toBe(true);
  });
});
