/**
 * The closure on real Debian packages: the host is a Debian root with a dpkg database, so it serves
 * as a build root — READ ONLY, everything is written to temp dirs. The collected trees must pass the
 * check, fail it once a library is deleted, and actually run java and python under bwrap with
 * nothing of the host's /usr.
 */
import { access, mkdtemp, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRuntime } from '../../../src/builder/check.js';
import { collectRuntime } from '../../../src/builder/collect.js';
import { readDpkgDb } from '../../../src/builder/dpkg.js';
import { resolveInRoot } from '../../../src/builder/root-path.js';
import { JrtError } from '../../../src/core/errors.js';
import { run, which } from '../../../src/core/proc.js';

const STRIP = { docs: true, locales: [], static_libs: true, pycache: false, paths: [] };
const JVM = '/usr/lib/jvm/java-17-openjdk-amd64';
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jrt-closure-host-'));
  for (const v of ['JRT_ROOT', 'JRT_CACHE', 'JRT_STATE', 'JRT_LOG'])
    process.env[v] = path.join(tmp, v.toLowerCase());
  process.env.JRT_JOBLET_CONFIG = path.join(tmp, 'joblet-config.yml');
  const db = await readDpkgDb('/');
  for (const pkg of ['openjdk-17-jre-headless', 'python3.11']) {
    if (!db.packages.has(pkg))
      throw new Error(`this test needs ${pkg} installed on the host (apt-get install ${pkg})`);
  }
  if (!(await which('bwrap'))) throw new Error('this test needs bubblewrap (apt-get install bubblewrap)');
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** Run argv in a sandbox whose / holds only the runtime's mounts (as runtime.yml lays them out). */
function sandbox(tree: string, etc: string[], argv: string[]) {
  const args = [
    '--unshare-all',
    '--die-with-parent',
    '--clearenv',
    '--setenv',
    'PATH',
    '/usr/bin',
    '--ro-bind',
    path.join(tree, 'usr'),
    '/usr',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '--symlink',
    'usr/bin',
    '/bin',
    ...etc.flatMap((d) => ['--ro-bind', path.join(tree, d), d]),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    ...argv,
  ];
  return run('bwrap', args, { reject: false });
}

async function deleteLib(tree: string, p: string): Promise<string> {
  const r = await resolveInRoot(tree, p);
  expect(r.exists).toBe(true);
  await unlink(path.join(tree, r.path));
  return r.path;
}

describe('collectRuntime + checkRuntime on the host dpkg database', () => {
  it('openjdk-17-jre-headless: collects, checks clean, runs java -version from the tree alone, and fails the check without libz', async () => {
    const tree = path.join(tmp, 'java', 'rootfs');
    const r = await collectRuntime({
      buildRoot: '/',
      outTree: tree,
      packages: ['openjdk-17-jre-headless'],
      exclude: [],
      buildOnly: [],
      paths: [],
      strip: STRIP,
    });
    const names = r.packages.map((p) => p.name);
    expect(names[0]).toBe('openjdk-17-jre-headless');
    expect(names).toEqual(
      expect.arrayContaining(['libc6', 'zlib1g', 'ca-certificates-java', 'ca-certificates']),
    );
    // Not a full OS: no Essential package comes without a dependency on it.
    expect(names).not.toContain('bash');
    // Java's absolute links into /etc were carried.
    await access(path.join(tree, 'etc/java-17-openjdk/security/java.security'));
    await access(path.join(tree, 'etc/ssl/certs/java/cacerts'));
    await access(path.join(tree, 'etc/ssl/certs/ca-certificates.crt'));

    const report = await checkRuntime(tree);
    expect(report.checked).toBeGreaterThan(50);
    expect(report.hostProvided.some((h) => h.includes('libjava.so: libjvm.so'))).toBe(true);

    const direct = await sandbox(tree, ['/etc/java-17-openjdk', '/etc/ssl'], [`${JVM}/bin/java`, '-version']);
    expect(direct.stderr).toContain('openjdk version "17');
    expect(direct.exitCode).toBe(0);
    const viaAlternatives = await sandbox(
      tree,
      ['/etc/java-17-openjdk', '/etc/ssl', '/etc/alternatives'],
      ['java', '-XshowSettings:properties', '-version'],
    );
    expect(viaAlternatives.stderr).toContain(`java.home = ${JVM}`);
    expect(viaAlternatives.exitCode).toBe(0);

    const gone = await deleteLib(tree, '/usr/lib/x86_64-linux-gnu/libz.so.1');
    const err = await checkRuntime(tree).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JrtError);
    expect((err as JrtError).code).toBe('ERR_JRT_CLOSURE_MISSING_LIB');
    expect((err as JrtError).message).toContain(
      `rootfs${JVM}/bin/java: needs libz.so.1, not found in the runtime`,
    );
    expect((err as JrtError).message).toContain(`rootfs${JVM}/lib/libjli.so: needs libz.so.1`);
    expect(gone).toMatch(/^\/usr\/lib\/x86_64-linux-gnu\/libz\.so\.1\./);
    // And the sandbox agrees: without libz the JVM cannot start.
    const broken = await sandbox(tree, ['/etc/java-17-openjdk', '/etc/ssl'], [`${JVM}/bin/java`, '-version']);
    expect(broken.exitCode).not.toBe(0);
    expect(broken.stderr).toContain('libz.so.1');
  });

  it('python3.11: collects, checks clean (extension modules included), runs, and fails the check without libsqlite3', async () => {
    const tree = path.join(tmp, 'python', 'rootfs');
    const r = await collectRuntime({
      buildRoot: '/',
      outTree: tree,
      packages: ['python3.11'],
      exclude: [],
      buildOnly: [],
      paths: [],
      strip: { ...STRIP, pycache: true },
    });
    expect(r.packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(['python3.11', 'libpython3.11-stdlib', 'libc6', 'libsqlite3-0']),
    );
    await checkRuntime(tree);

    const ok = await sandbox(
      tree,
      [],
      [
        '/usr/bin/python3.11',
        '-c',
        'import ssl, sqlite3, ctypes, json, zlib; print("ok", sqlite3.sqlite_version)',
      ],
    );
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^ok 3\./);

    await deleteLib(tree, '/usr/lib/x86_64-linux-gnu/libsqlite3.so.0');
    const err = await checkRuntime(tree).catch((e: unknown) => e);
    expect((err as JrtError).code).toBe('ERR_JRT_CLOSURE_MISSING_LIB');
    expect((err as JrtError).message).toMatch(
      /rootfs\/usr\/lib\/python3\.11\/lib-dynload\/_sqlite3\.cpython-311-x86_64-linux-gnu\.so: needs libsqlite3\.so\.0, not found in the runtime/,
    );
  });
});
