/**
 * A runtime's identity (name, aliases, language, version, tags) comes from one place: runtime.yml,
 * which Joblet reads. An artifact that claims another identity in its runtime.json, or claims the
 * names of runtimes already installed, must not be able to take their jobs (`--runtime=java:17`,
 * `java-17`, `python-3.11-ml`), and the text it carries must not drive the operator's terminal.
 * Through the bundle, as root (the fixture runtimes and the jobs need mounts and namespaces), next
 * to real-looking runtimes whose /usr is the host's.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { computeManifest, serializeManifest } from '../../src/artifact/manifest.js';
import { packArtifact } from '../../src/artifact/pack.js';
import { addHostRuntime, requireSandboxHost } from '../fixtures/runtimes/host-runtime.js';
import { type JrtHome, jrt, jrtExec, makeJrtHome } from '../helpers/jrt.js';
import { tempDir } from '../helpers/temp.js';

const EPOCH = 1_700_000_000;
const ESC = '\x1b]0;pwned\x07\x1b[2J\x1b[31m';
let t: JrtHome;

/** The real runtimes of the host, each saying its own name in $RT_NAME. */
const REAL = [
  { name: 'java-17', language: 'java', version: '17.0.2', aliases: ['openjdk-17'] },
  { name: 'python-3.11-ml', language: 'python', version: '3.11', tags: ['ml'] },
  { name: 'node-18', language: 'node', version: '18.20.8', aliases: ['nodejs-18'] },
];

beforeAll(async () => {
  requireSandboxHost();
  t = await makeJrtHome({ prefix: 'jrt-sec-id-' });
  for (const r of REAL) await addHostRuntime(t, { ...r, environment: { RT_NAME: r.name } });
});
afterAll(async () => {
  await t?.dispose();
});

/** runtime.yml of the crafted runtime: evil-1, a "demo" runtime whose sh prints RT_NAME=evil. */
function evilYml(over: Record<string, unknown> = {}) {
  return {
    name: 'evil-1',
    language: 'demo',
    version: '1.0',
    description: 'a harmless demo',
    mounts: [
      { source: 'rootfs/usr', target: '/usr', readonly: true },
      { source: 'rootfs/usr/bin', target: '/bin', readonly: true },
      { source: 'rootfs/usr/lib', target: '/lib', readonly: true },
      { source: 'rootfs/usr/lib64', target: '/lib64', readonly: true },
    ],
    environment: { RT_NAME: 'evil' },
    requirements: { architectures: ['amd64'] },
    tags: [],
    aliases: [],
    entrypoints: {},
    build_info: {
      jrt_version: '0.2.0',
      built_at: '2026-01-01T00:00:00Z',
      base: 'debian:bookworm',
      recipe_digest: 'sha256:aa',
      lock_digest: 'sha256:bb',
    },
    ...over,
  };
}

/** The lie of the attack: runtime.json says it is java 17.999, and every popular name. */
const LIE = { language: 'java', version: '17.999', aliases: ['java-17', 'python-3.11-ml', 'nodejs-18'] };

/**
 * An artifact of evil-1 with a working sh (the host's dash and the libraries it needs, copied in),
 * this runtime.yml and, if given, this runtime.json; its manifest as an honest builder writes it.
 */
async function evilArtifact(yml: object | string, json: object | undefined, tag: string): Promise<string> {
  const tree = path.join(await tempDir('jrt-sec-id-tree-'), 'rt');
  for (const d of ['rootfs/usr/bin', 'rootfs/usr/lib/x86_64-linux-gnu', 'rootfs/usr/lib64'])
    await mkdir(path.join(tree, d), { recursive: true });
  await copyFile('/usr/bin/dash', path.join(tree, 'rootfs/usr/bin/sh'));
  await copyFile(
    '/lib/x86_64-linux-gnu/libc.so.6',
    path.join(tree, 'rootfs/usr/lib/x86_64-linux-gnu/libc.so.6'),
  );
  await copyFile('/lib64/ld-linux-x86-64.so.2', path.join(tree, 'rootfs/usr/lib64/ld-linux-x86-64.so.2'));
  await writeFile(path.join(tree, 'runtime.yml'), typeof yml === 'string' ? yml : stringify(yml));
  if (json) await writeFile(path.join(tree, 'runtime.json'), `${JSON.stringify(json, null, 2)}\n`);
  const manifest = await computeManifest(tree, {
    name: 'evil-1',
    version: '1.0',
    jrt_version: '0.2.0',
    recipe_digest: 'sha256:aa',
    lock_digest: 'sha256:bb',
  });
  await writeFile(path.join(tree, 'manifest.json'), serializeManifest(manifest));
  const file = path.join(t.home, `evil-1-${tag}.jrt.tar.gz`);
  await packArtifact(tree, file, { sourceDateEpoch: EPOCH });
  return file;
}

/** Which runtime a spec runs: the $RT_NAME its job sees. */
async function whoRuns(spec: string): Promise<string> {
  const r = await jrtExec(t, [`--runtime=${spec}`, '--', 'sh', '-c', 'echo "ran:$RT_NAME"']);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.exitCode, `${spec}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

async function expectRealOnesAnswer() {
  expect(await whoRuns('java:17')).toBe('ran:java-17');
  expect(await whoRuns('java-17')).toBe('ran:java-17');
  expect(await whoRuns('python-3.11-ml')).toBe('ran:python-3.11-ml');
  expect(await whoRuns('python:3.11+ml')).toBe('ran:python-3.11-ml');
  expect(await whoRuns('nodejs-18')).toBe('ran:node-18');
}

describe('an artifact whose runtime.json lies about who it is', { timeout: 120_000 }, () => {
  it('is refused at install, naming the field and both values; every spec still runs the real runtime', async () => {
    const yml = evilYml();
    const file = await evilArtifact(yml, { ...yml, ...LIE }, 'json-lie');
    const r = await jrt(t, ['install', file, '--json']);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout).runtimes[0];
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_ARTIFACT_IDENTITY' });
    expect(out.error).toContain(
      `the artifact's runtime.json disagrees with its runtime.yml at aliases[0]: runtime.json says "java-17", runtime.yml (nothing)`,
    );
    const list = JSON.parse((await jrt(t, ['runtime', 'list', '--json'])).stdout);
    expect(list.map((x: { name: string }) => x.name)).toEqual(['java-17', 'node-18', 'python-3.11-ml']);
    await expectRealOnesAnswer();
  });

  it('a runtime.json left by 0.2.0 that disagrees is never trusted by exec, and verify reports it', async () => {
    // What 0.2.0 installed from that artifact: its runtime.json kept, and listed in its manifest.
    const dir = path.join(t.root, 'demo', 'evil-1');
    await mkdir(path.join(dir, 'rootfs/usr/bin'), { recursive: true });
    const yml = evilYml();
    await writeFile(path.join(dir, 'runtime.yml'), stringify(yml));
    await writeFile(path.join(dir, 'runtime.json'), JSON.stringify({ ...yml, ...LIE }));
    const manifest = await computeManifest(dir, {
      name: 'evil-1',
      version: '1.0',
      jrt_version: '0.2.0',
      recipe_digest: 'r',
      lock_digest: 'l',
    });
    await writeFile(path.join(dir, 'manifest.json'), serializeManifest(manifest));
    try {
      await expectRealOnesAnswer();
      const info = JSON.parse((await jrt(t, ['runtime', 'info', 'evil-1', '--json'])).stdout);
      expect(info.runtime).toMatchObject({ language: 'demo', version: '1.0', aliases: [] });
      const v = await jrt(t, ['runtime', 'verify', 'evil-1']);
      expect(v.exitCode).toBe(1);
      expect(v.stdout).toContain(
        'evil-1: DAMAGED\n  modified: runtime.json (disagrees with runtime.yml at aliases[0]',
      );
      // The same lie with a stamp that is not runtime.yml's digest: exec lists runtimes from stamped
      // runtime.json files without hashing them, so the lie may be chosen, but the chosen one is
      // read with its stamp checked and, disagreeing, every spec is resolved again from the truth.
      await writeFile(
        path.join(dir, 'runtime.json'),
        JSON.stringify({ ...yml, ...LIE, runtime_yml_sha256: 'f'.repeat(64) }),
      );
      await expectRealOnesAnswer();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('an artifact that claims names already installed', { timeout: 120_000 }, () => {
  it('is refused at install, naming both runtimes, even when runtime.yml and runtime.json agree', async () => {
    const yml = evilYml(LIE);
    const file = await evilArtifact(yml, yml, 'claims');
    const r = await jrt(t, ['install', file, '--json']);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout).runtimes[0];
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_RUNTIME_CONFLICT' });
    for (const [alias, how, at] of [
      ['java-17', 'the name', 'java/java-17'],
      ['python-3.11-ml', 'the name', 'python/python-3.11-ml'],
      ['nodejs-18', 'also an alias', 'node/node-18'],
    ] as const)
      expect(out.error).toContain(
        `alias '${alias}' is ${how} of the installed runtime ${path.basename(at)} (${path.join(t.root, at)})`,
      );
    expect(out.error).toMatch(/^evil-1 \(java 17\.999\) collides with what is installed: /);
    expect(r.stderr).toContain('hint: a name, alias or language+version+tags must name one runtime');
    expect(JSON.parse((await jrt(t, ['runtime', 'list', '--json'])).stdout)).toHaveLength(3);
    await expectRealOnesAnswer();
  });

  it("a runtime.yml whose name is another runtime's is refused (jrt lists runtimes by that name)", async () => {
    // The manifest says evil-1 (so it would sit at demo/evil-1), runtime.yml says java-17.
    const file = await evilArtifact(evilYml({ name: 'java-17' }), undefined, 'yml-name');
    const r = await jrt(t, ['install', file, '--json']);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout).runtimes[0];
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_ARTIFACT_CORRUPT' });
    expect(out.error).toContain("runtime.yml names 'java-17', the manifest 'evil-1'");
    expect(JSON.parse((await jrt(t, ['runtime', 'list', '--json'])).stdout)).toHaveLength(3);
    await expectRealOnesAnswer();
  });

  it('the same language, version and tags as an installed runtime is refused too', async () => {
    const file = await evilArtifact(
      evilYml({ language: 'python', version: '3.11', tags: ['ml'] }),
      undefined,
      'same-lvt',
    );
    const r = await jrt(t, ['install', file, '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).runtimes[0]).toMatchObject({ code: 'ERR_JRT_RUNTIME_CONFLICT' });
    expect(r.stderr).toContain(
      `language python, version 3.11 and tags [ml] are also those of the installed runtime python-3.11-ml`,
    );
    expect(await whoRuns('python:3.11+ml')).toBe('ran:python-3.11-ml');
  });

  it('an honest evil-1 installs and runs by its own name, and an exact name beats an older alias', async () => {
    const file = await evilArtifact(evilYml({ aliases: ['evil'] }), undefined, 'honest');
    const r = await jrt(t, ['install', file, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await whoRuns('evil-1')).toBe('ran:evil');
    expect(await whoRuns('evil')).toBe('ran:evil');
    // A runtime placed before the install checks existed (deploy_runtimes.sh, 0.2.0) with a newer
    // version and the alias java-17: the exact name still wins.
    const dir = path.join(t.root, 'java', 'java-17-old');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'runtime.yml'),
      stringify({
        name: 'java-17-old',
        language: 'java',
        version: '17.999',
        aliases: ['java-17'],
        mounts: [],
      }),
    );
    try {
      expect(await whoRuns('java-17')).toBe('ran:java-17');
      const old = JSON.parse((await jrt(t, ['runtime', 'info', 'java-17-old', '--json'])).stdout);
      expect(old).toMatchObject({ name: 'java-17-old', runtime: { version: '17.999' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await jrt(t, ['runtime', 'remove', 'evil-1'])).exitCode).toBe(0);
  });
});

describe('text from an artifact never reaches a terminal raw', { timeout: 120_000 }, () => {
  it('identity fields with control characters are refused at install, quoted escaped', async () => {
    const file = await evilArtifact(
      evilYml({ version: `1.0${ESC}`, aliases: [`x${ESC}`] }),
      undefined,
      'esc-id',
    );
    const r = await jrt(t, ['install', file]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr + r.stdout).not.toContain('\x1b');
    expect(r.stderr).toContain(`version '1.0\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m' is not a version`);
    expect(r.stderr).toContain(`aliases[0] 'x\\x1b]0;pwned`);
  });

  it('runtime list, info and install print a description with escapes escaped', async () => {
    // Raw control bytes inside runtime.yml (the YAML parser accepts them in a quoted scalar).
    const yml = stringify(evilYml()).replace('a harmless demo', `"demo${ESC}\u202eevil"`);
    const file = await evilArtifact(yml, undefined, 'esc-desc');
    const i = await jrt(t, ['install', file]);
    expect(i.exitCode, i.stderr).toBe(0);
    try {
      for (const args of [
        ['runtime', 'list'],
        ['runtime', 'info', 'evil-1'],
        ['runtime', 'verify', 'evil-1'],
      ]) {
        const r = await jrt(t, args);
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stdout, args.join(' ')).not.toMatch(/[\x1b\x07\u202e]/);
        if (args[1] !== 'verify')
          expect(r.stdout).toContain('demo\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m\\u202eevil');
      }
      // --json escapes in its own way and stays exact.
      const j = JSON.parse((await jrt(t, ['runtime', 'list', '--json'])).stdout);
      expect(j.find((x: { name: string }) => x.name === 'evil-1').description).toBe(`demo${ESC}\u202eevil`);
    } finally {
      await jrt(t, ['runtime', 'remove', 'evil-1']);
    }
  });
});
