import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serializeManifest } from '../../src/artifact/manifest.js';
import {
  bundleReadableByAll,
  type JrtHome,
  jrt,
  makeJrtHome,
  requireRoot,
  requireTools,
  runJrt,
} from '../helpers/jrt.js';
import {
  makeArtifact,
  manifestFor,
  type RawTarEntry,
  rawTarGz,
  runtimeVersionDirs,
} from '../unit/artifact/fixture.js';

describe('jrt install ./X.jrt.tar.gz', () => {
  it('installs an artifact atomically behind a symlink, writes the Joblet config, and reports JSON', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const { file, manifest } = await makeArtifact(sb.home);
    const r = await jrt(sb, ['install', file, '--json']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as {
      runtimes: { name: string; result: string; ms: number; size: number }[];
    };
    expect(out.runtimes).toHaveLength(1);
    expect(out.runtimes[0]).toMatchObject({ name: 'demo-1', result: 'installed', size: manifest.total_size });
    const link = path.join(sb.root, 'demo', 'demo-1');
    // A real directory (Joblet skips symlinks when it lists runtimes) whose .jrt-current is switched.
    expect((await lstat(link)).isDirectory()).toBe(true);
    expect(await readlink(path.join(link, '.jrt-current'))).toMatch(/^\.\.\/\.jrt\/demo-1@[0-9a-f]{12}$/);
    expect((await readdir(link)).sort()).toEqual([
      '.jrt-current',
      'manifest.json',
      'rootfs',
      'runtime.json',
      'runtime.yml',
    ]);
    expect(await readlink(path.join(link, 'rootfs'))).toBe('.jrt-current/rootfs');
    expect(await readFile(path.join(link, 'rootfs/usr/bin/hello'), 'utf8')).toContain('echo hello');
    expect(parse(await readFile(sb.config, 'utf8'))).toEqual({
      runtime: { enabled: true, base_path: sb.root },
    });
    expect(await readdir(path.join(sb.root, '.jrt-staging'))).toEqual([]);
    expect((await stat(link)).mode & 0o7777).toBe(0o755);
    expect((await stat(path.join(link, '.jrt-current'))).mode & 0o7777).toBe(0o755);

    const again = await jrt(sb, ['install', file, '--json']);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout).runtimes[0].result).toBe('unchanged');

    const verify = await jrt(sb, ['verify', 'demo-1']);
    expect(verify.stdout).toBe('demo-1: ok\n');
    expect(verify.exitCode).toBe(0);
  });

  it('replaces the old version on a new artifact and removes the old directory', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const v1 = await makeArtifact(sb.home, { payload: 'one' });
    const v2 = await makeArtifact(sb.home, { payload: 'two' });
    expect((await jrt(sb, ['install', v1.file])).exitCode).toBe(0);
    const first = await readlink(path.join(sb.root, 'demo', 'demo-1', '.jrt-current'));
    const r = await jrt(sb, ['install', v2.file]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+RESULT\s+TIME\s+SIZE\ndemo-1\s+installed\s/);
    const second = await readlink(path.join(sb.root, 'demo', 'demo-1', '.jrt-current'));
    expect(second).not.toBe(first);
    expect(await runtimeVersionDirs(path.join(sb.root, 'demo', '.jrt'))).toEqual([path.basename(second)]);
    expect(await readFile(path.join(sb.root, 'demo', 'demo-1', 'rootfs/usr/bin/hello'), 'utf8')).toContain(
      'two',
    );
  });

  it('--force reinstalls identical contents into a fresh directory', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const { file } = await makeArtifact(sb.home);
    await jrt(sb, ['install', file]);
    const before = await readlink(path.join(sb.root, 'demo', 'demo-1', '.jrt-current'));
    const r = await jrt(sb, ['install', '--force', file, '--json']);
    expect(JSON.parse(r.stdout).runtimes[0].result).toBe('installed');
    const after = await readlink(path.join(sb.root, 'demo', 'demo-1', '.jrt-current'));
    expect(after).not.toBe(before);
    expect(await runtimeVersionDirs(path.join(sb.root, 'demo', '.jrt'))).toEqual([path.basename(after)]);
  });

  it('writes runtime.json derived from runtime.yml (and lists it in the manifest) when the artifact lacks it', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const { file } = await makeArtifact(sb.home, { withJson: false });
    expect((await jrt(sb, ['install', file])).exitCode).toBe(0);
    const dir = path.join(sb.root, 'demo', 'demo-1');
    const { runtime_yml_sha256, ...json } = JSON.parse(
      await readFile(path.join(dir, 'runtime.json'), 'utf8'),
    );
    const ymlBytes = await readFile(path.join(dir, 'runtime.yml'));
    expect(json).toEqual(parse(ymlBytes.toString('utf8')));
    expect(runtime_yml_sha256).toBe(createHash('sha256').update(ymlBytes).digest('hex'));
    expect((await jrt(sb, ['verify', 'demo-1'])).exitCode).toBe(0);
  });

  it('refuses a hostile artifact with exit 1, naming the entry, and changes nothing', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const entries: RawTarEntry[] = [
      { path: 'runtime.yml', type: 'File', body: 'name: evil-1\nlanguage: demo\n' },
      { path: 'rootfs', type: 'Directory' },
      { path: 'rootfs/x', type: 'SymbolicLink', linkpath: '../../../etc/shadow' },
    ];
    const file = path.join(sb.home, 'evil-1.jrt.tar.gz');
    await writeFile(
      file,
      rawTarGz([
        { path: 'manifest.json', type: 'File', body: serializeManifest(manifestFor(entries)) },
        ...entries,
      ]),
    );
    const r = await jrt(sb, ['install', file, '--json']);
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.runtimes[0]).toMatchObject({ result: 'failed', code: 'ERR_JRT_ARTIFACT_UNSAFE' });
    expect(out.runtimes[0].error).toContain("'rootfs/x'");
    expect(r.stderr).toContain("unsafe artifact entry 'rootfs/x'");
    const left = await readdir(sb.root).catch(() => []);
    expect(left.filter((x) => x !== '.jrt-staging')).toEqual([]);
    await expect(lstat(sb.config)).rejects.toThrow();
  });

  it('warns when Joblet cannot tell two installed runtimes apart (same language and version)', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const { file } = await makeArtifact(sb.home);
    // A runtime of the same language and version whose tags differ: jrt tells them apart, Joblet cannot.
    await mkdir(path.join(sb.root, 'demo', 'demo-1-gpu'), { recursive: true });
    await writeFile(
      path.join(sb.root, 'demo', 'demo-1-gpu', 'runtime.yml'),
      'name: demo-1-gpu\nlanguage: demo\nversion: "1.0"\ntags: [gpu]\nmounts: []\n',
    );
    const r = await jrt(sb, ['install', file, '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(
      "jrt: warning: Joblet cannot tell demo-1 and demo-1-gpu apart (language 'demo', version '1.0'",
    );
    expect(JSON.parse(r.stdout).joblet_clashes).toMatchObject([
      { language: 'demo', version: '1.0', names: ['demo-1', 'demo-1-gpu'] },
    ]);
  });

  it("does not warn when both runtimes are jrt's: their spec directories tell them apart to Joblet", async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const plain = await makeArtifact(sb.home, { name: 'demo-1', tags: [] });
    const gpu = await makeArtifact(sb.home, { name: 'demo-1-gpu', tags: ['gpu'] });
    const r = await jrt(sb, ['install', plain.file, gpu.file, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('Joblet cannot tell');
    expect(JSON.parse(r.stdout).joblet_clashes).toEqual([]);
    const doctor = await jrt(sb, ['doctor', '--joblet', '--json']);
    const report = JSON.parse(doctor.stdout);
    expect(doctor.exitCode, doctor.stdout).toBe(0);
    expect(
      report.specs.map((s: { spec: string; joblet: { name: string }; environment: string }) => [
        s.spec,
        s.joblet.name,
        s.environment,
      ]),
    ).toEqual([
      ['demo-1', 'demo-1', 'same'],
      ['demo-1-gpu', 'demo-1-gpu', 'same'],
    ]);
    // The documented-style specs of these two, resolved by Joblet's rules as by jrt's.
    const { jobletReport } = await import('../../src/doctor/joblet.js');
    const { compareResolution } = await import('../../src/joblet/compare.js');
    const { scanAsJoblet } = await import('../../src/joblet/scan.js');
    const { listInstalled } = await import('../../src/runner/resolve.js');
    expect((await jobletReport(sb.root)).ok).toBe(true);
    const v = compareResolution(await listInstalled(sb.root), scanAsJoblet(sb.root), [
      'demo:1.0',
      'demo:1.0+gpu',
    ]);
    expect(v.slice(0, 2).map((x) => [x.spec, x.jrt?.name, x.joblet?.name, x.same])).toEqual([
      ['demo:1.0', 'demo-1', 'demo-1', true],
      ['demo:1.0+gpu', 'demo-1-gpu', 'demo-1-gpu', true],
    ]);
  });

  it("installs next to a runtime of the same name in Joblet's flat layout, and the name then means jrt's", async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const { file } = await makeArtifact(sb.home);
    await mkdir(path.join(sb.root, 'demo-1'), { recursive: true });
    await writeFile(
      path.join(sb.root, 'demo-1', 'runtime.yml'),
      // A higher version than jrt's: the name still means jrt's.
      'name: demo-1\nlanguage: demo\nversion: "9.0"\nmounts: []\n',
    );
    const before = JSON.parse((await jrt(sb, ['runtime', 'info', 'demo-1', '--json'])).stdout);
    expect(before.path).toBe(path.join(sb.root, 'demo-1'));
    const r = await jrt(sb, ['install', file]);
    expect(r.exitCode, r.stderr).toBe(0);
    const after = JSON.parse((await jrt(sb, ['runtime', 'info', 'demo-1', '--json'])).stdout);
    expect(after.path).toBe(path.join(sb.root, 'demo', 'demo-1'));
    const list = JSON.parse((await jrt(sb, ['runtime', 'list', '--json'])).stdout);
    expect(list.map((x: { path: string; foreign: boolean }) => [x.path, x.foreign])).toEqual([
      [path.join(sb.root, 'demo', 'demo-1'), false],
      [path.join(sb.root, 'demo-1'), true],
    ]);
    // The old runtime holds the name of jrt's spec link for demo-1: left alone, and said.
    expect(r.stderr).toContain(
      `${path.join(sb.root, 'demo-1')} was not made by jrt, so the spec entry Joblet needs there was left out`,
    );
    expect((await lstat(path.join(sb.root, 'demo-1'))).isDirectory()).toBe(true);
    // Removing the old one frees the name: Joblet's environment lookup for demo-1 then reads jrt's.
    const rm = await jrt(sb, ['runtime', 'remove', 'demo-1@9.0', '--force']);
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect(await readlink(path.join(sb.root, 'demo-1'))).toBe('demo/demo-1');
  });

  it('unknown runtime names are usage errors with a did-you-mean list', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    await writeRecipe(sb.recipes, 'python-3.11-ml', 'python');
    await writeRecipe(sb.recipes, 'node-18', 'node', 'aliases: [node18]\n');
    const r = await jrt(sb, ['install', 'python-3.11-m']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("unknown runtime 'python-3.11-m'");
    expect(r.stderr).toContain('did you mean: python-3.11-ml');
    const g = await jrt(sb, ['install', '--ruby-all']);
    expect(g.exitCode).toBe(2);
    expect(g.stderr).toContain('--node-all, --python-all');
  });

  it('--dry-run prints the plan for group flags and deploy_runtimes.sh spellings without changing anything', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    await writeRecipe(sb.recipes, 'python-3.11-ml', 'python');
    await writeRecipe(sb.recipes, 'java-17', 'java');
    await writeRecipe(sb.recipes, 'java-21', 'java');
    const r = await jrt(sb, ['install', '--java-all', '--python-3.11-ml', '--dry-run', '--json']);
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout).plan as { name: string }[];
    expect(plan.map((p) => p.name)).toEqual(['java-17', 'java-21', 'python-3.11-ml']);
    await expect(lstat(sb.root)).rejects.toThrow();
    const all = await jrt(sb, ['install', '--all', '--dry-run']);
    expect(all.stdout).toContain('java-17: build and install');
  });

  it('a recipe install that cannot build fails clearly (exit 1) and leaves the root untouched', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    await writeRecipe(sb.recipes, 'node-18', 'node');
    // --offline with an empty cache: the build stops before any network or chroot work.
    const r = await jrt(sb, ['install', 'node-18', '--offline', '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).runtimes[0]).toMatchObject({
      name: 'node-18',
      result: 'failed',
      code: 'ERR_JRT_OFFLINE_MISSING',
    });
    expect((await readdir(sb.root).catch(() => [])).filter((x) => x !== '.jrt-staging')).toEqual([]);
  });
});

/** A small valid recipe (selection reads and validates every recipe in the directory). */
function writeRecipe(dir: string, name: string, language: string, extra = ''): Promise<void> {
  return writeFile(
    path.join(dir, `${name}.yml`),
    `name: ${name}\nlanguage: ${language}\nversion: "1"\ndescription: d\nbase: bookworm\n${extra}` +
      'runtime: {packages: [coreutils]}\nmounts: [{source: rootfs/usr, target: /usr, readonly: true}]\n',
  );
}

describe('durability: what an install points at is on disk first', () => {
  /** The syncs and renames jrt (and its children) made, in order, with paths relative to the root. */
  async function tracedInstall(sb: JrtHome, file: string): Promise<string[]> {
    requireTools({ strace: 'strace' });
    const trace = path.join(sb.home, `strace-${Date.now()}`);
    const r = await runJrt(['install', file], {
      env: sb.env,
      wrapper: ['strace', '-f', '-qq', '-o', trace, '-e', 'trace=syncfs,fsync,rename,renameat,renameat2'],
    });
    expect(r.exitCode, r.stderr).toBe(0);
    return (await readFile(trace, 'utf8'))
      .split('\n')
      .filter((l) => /\b(syncfs|fsync|rename\w*)\(/.test(l) && !l.includes('= -1'))
      .map((l) => {
        const call = (l.match(/\b(syncfs|fsync|rename\w*)\(/) as RegExpMatchArray)[1] as string;
        const paths = [...l.matchAll(/"([^"]*)"/g)].map((m) => path.relative(sb.root, m[1] as string));
        return [call.startsWith('rename') ? 'rename' : call, ...paths].join(' ');
      });
  }

  it('syncs the version before switching to it, and fsyncs the switch (first install and update)', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const v1 = await makeArtifact(sb.home, { payload: 'one' });
    const v2 = await makeArtifact(sb.home, { payload: 'two' });
    for (const [file, switched] of [
      [v1.file, /^rename demo\/\.jrt\/\.jrt-new-\d+-demo-1 demo\/demo-1$/],
      [v2.file, /^rename demo\/demo-1\/\.jrt-link-\d+ demo\/demo-1\/\.jrt-current$/],
    ] as const) {
      const calls = await tracedInstall(sb, file);
      const placed = calls.findIndex((c) =>
        /^rename \.jrt-staging\/.+ demo\/\.jrt\/demo-1@[0-9a-f]{12}$/.test(c),
      );
      const synced = calls.findIndex((c) => c.startsWith('syncfs'));
      const switchAt = calls.findIndex((c) => switched.test(c));
      const fsynced = calls.findIndex((c, i) => i > switchAt && c.startsWith('fsync'));
      expect(placed, calls.join('\n')).toBeGreaterThanOrEqual(0);
      expect(synced, calls.join('\n')).toBeGreaterThan(placed);
      expect(switchAt, calls.join('\n')).toBeGreaterThan(synced);
      expect(fsynced, calls.join('\n')).toBeGreaterThan(switchAt);
    }
  });
});

describe('migration from deploy_runtimes.sh', () => {
  it('replaces a plain runtime directory with the managed symlink layout', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const legacy = path.join(sb.root, 'demo', 'demo-1');
    await mkdir(path.join(legacy, 'isolated'), { recursive: true });
    await writeFile(path.join(legacy, 'runtime.yml'), 'name: demo-1\nlanguage: demo\nversion: "0.9"\n');
    const before = JSON.parse((await jrt(sb, ['list', '--json'])).stdout);
    expect(before).toEqual([expect.objectContaining({ name: 'demo-1', version: '0.9', size: null })]);
    const { file } = await makeArtifact(sb.home);
    const r = await jrt(sb, ['install', file]);
    expect(r.exitCode).toBe(0);
    expect(await readlink(path.join(legacy, '.jrt-current'))).toMatch(/^\.\.\/\.jrt\/demo-1@/);
    await expect(lstat(path.join(legacy, 'isolated'))).rejects.toThrow();
    expect((await jrt(sb, ['verify'])).exitCode).toBe(0);
    expect(await runtimeVersionDirs(path.join(sb.root, 'demo', '.jrt'))).toHaveLength(1);
  });
});

describe('a refused artifact leaves the installed runtime as it was', () => {
  const yml = (mount: string) =>
    `name: demo-1\nlanguage: demo\nversion: "2"\nmounts:\n  - {source: ${mount}, target: /usr, readonly: true}\n`;
  const cases: { name: string; entries: RawTarEntry[]; tamper?: RawTarEntry; code: string; says: string }[] =
    [
      {
        name: 'a tampered file',
        entries: [
          { path: 'runtime.yml', type: 'File', body: yml('rootfs') },
          { path: 'rootfs', type: 'Directory' },
          { path: 'rootfs/tool', type: 'File', body: 'good' },
        ],
        tamper: { path: 'rootfs/tool', type: 'File', body: 'evil' },
        code: 'ERR_JRT_ARTIFACT_MISMATCH',
        says: "'rootfs/tool'",
      },
      {
        name: 'a mount source through a symlink to the host',
        entries: [
          { path: 'runtime.yml', type: 'File', body: yml('rootfs/usr') },
          { path: 'rootfs', type: 'Directory' },
          { path: 'rootfs/usr', type: 'SymbolicLink', linkpath: '/opt' },
        ],
        code: 'ERR_JRT_ARTIFACT_UNSAFE',
        says: 'goes through the symlink rootfs/usr',
      },
    ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
      const good = await makeArtifact(sb.home);
      expect((await jrt(sb, ['install', good.file])).exitCode).toBe(0);
      const linkBefore = await readlink(path.join(sb.root, 'demo', 'demo-1', '.jrt-current'));
      const body = c.tamper ? [...c.entries.slice(0, -1), c.tamper] : c.entries;
      const file = path.join(sb.home, 'bad.jrt.tar.gz');
      await writeFile(
        file,
        rawTarGz([
          { path: 'manifest.json', type: 'File', body: serializeManifest(manifestFor(c.entries, 'demo-1')) },
          ...body,
        ]),
      );
      const r = await jrt(sb, ['install', file, '--json']);
      expect(r.exitCode).toBe(1);
      expect(JSON.parse(r.stdout).runtimes[0]).toMatchObject({ result: 'failed', code: c.code });
      expect(r.stderr).toContain(c.says);
      expect(await readlink(path.join(sb.root, 'demo', 'demo-1', '.jrt-current'))).toBe(linkBefore);
      expect((await jrt(sb, ['verify', 'demo-1'])).exitCode).toBe(0);
      expect(await runtimeVersionDirs(path.join(sb.root, 'demo', '.jrt'))).toEqual([
        path.basename(linkBefore),
      ]);
      expect(await readdir(path.join(sb.root, '.jrt-staging'))).toEqual([]);
    });
  }
});

describe('pre-checks and Joblet config through the CLI', () => {
  it('an unprivileged user with a read-only runtimes root gets ERR_JRT_ROOT_NOT_WRITABLE and nothing changes', async () => {
    requireRoot('it drops to uid 65534 with setpriv');
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const { file } = await makeArtifact(sb.home);
    await chmod(file, 0o644);
    // The runtimes root exists, 0755 and root's: uid 65534 cannot write to it.
    await mkdir(sb.root, { mode: 0o755 });
    const r = await runJrt(['install', file, '--json'], {
      env: sb.env,
      wrapper: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
      // uid 65534 runs a copy it can read: the checkout may be in root's 0700 home.
      bundle: await bundleReadableByAll(),
    });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('ERR_JRT_ROOT_NOT_WRITABLE');
    expect(r.stderr).toContain(`cannot write to ${sb.root}`);
    expect(await readdir(sb.root)).toEqual([]);
  });

  it('keeps a realistic joblet-config.yml byte-for-byte outside the runtime keys, and its mode', async () => {
    const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
    const { chmod, mkdir } = await import('node:fs/promises');
    await mkdir(path.dirname(sb.config));
    const before = [
      '# Joblet configuration (generated)',
      'version: "3.0"',
      'server:',
      '  address: "0.0.0.0"',
      '  port: 50051   # gRPC',
      'security:',
      '  serverCert: |',
      '    -----BEGIN CERTIFICATE-----',
      '    MIIBszCCAVmgAwIBAgIUX8yTn5iHqtJ0dKq0p0IK',
      '    -----END CERTIFICATE-----',
      'runtime:',
      '  enabled: false',
      '  base_path: /opt/joblet/runtimes',
      'logging: {level: INFO}',
      '',
    ].join('\n');
    await writeFile(sb.config, before);
    await chmod(sb.config, 0o600);
    const { file } = await makeArtifact(sb.home);
    expect((await jrt(sb, ['install', file])).exitCode).toBe(0);
    const after = await readFile(sb.config, 'utf8');
    expect(after).toBe(
      before
        .replace('enabled: false', 'enabled: true')
        .replace('base_path: /opt/joblet/runtimes', `base_path: "${sb.root}"`),
    );
    expect((await stat(sb.config)).mode & 0o7777).toBe(0o600);
  });
});
