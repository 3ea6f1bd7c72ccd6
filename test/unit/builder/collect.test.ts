import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRuntime } from '../../../src/builder/check.js';
import { type CollectOptions, collectRuntime } from '../../../src/builder/collect.js';
import { ET } from '../../../src/builder/elf.js';
import { JrtError } from '../../../src/core/errors.js';
import { walkTree } from '../../../src/core/tree-walk.js';
import { writeDpkgDb, writeTree } from '../../fixtures/closure/fake-root.js';
import { makeElf } from '../../fixtures/closure/make-elf.js';

const LD = '/lib64/ld-linux-x86-64.so.2';
const ML = '/lib/x86_64-linux-gnu';
const JRE = '/usr/lib/jvm/jre';
const lib = (soname: string, needed: string[] = [], extra = {}) =>
  makeElf({ type: ET.DYN, soname, needed, ...extra });

/** A merged-usr Debian-like root: libc6, a JRE with alternatives and /etc links, ca-certificates, gcc, an unrelated package. */
async function fakeBuildRoot(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'jrt-buildroot-'));
  await writeTree(root, {
    '/bin': { link: 'usr/bin' },
    '/lib': { link: 'usr/lib' },
    '/lib64': { link: 'usr/lib64' },
    '/sbin': { link: 'usr/sbin' },
    '/usr/lib/x86_64-linux-gnu/libc.so.6': lib('libc.so.6', ['ld-linux-x86-64.so.2']),
    '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2': lib('ld-linux-x86-64.so.2'),
    '/usr/lib64/ld-linux-x86-64.so.2': { link: `${ML}/ld-linux-x86-64.so.2` },
    '/etc/ld.so.conf.d/x86_64-linux-gnu.conf': '/usr/local/lib/x86_64-linux-gnu\n',
    '/usr/share/doc/libc6/copyright': 'libc copyright',
    '/usr/share/locale/de/LC_MESSAGES/libc.mo': 'de',
    '/usr/share/locale/fr/LC_MESSAGES/libc.mo': 'fr',
    [`${JRE}/bin/java`]: {
      content: makeElf({
        type: ET.DYN,
        interp: LD,
        needed: ['libjli.so', 'libc.so.6'],
        rpath: '$ORIGIN/../lib',
      }),
      mode: 0o755,
    },
    [`${JRE}/lib/libjli.so`]: lib('libjli.so', ['libc.so.6'], { rpath: '$ORIGIN' }),
    [`${JRE}/lib/libjava.so`]: lib('libjava.so', ['libjvm.so', 'libc.so.6'], { rpath: '$ORIGIN' }),
    [`${JRE}/lib/server/libjvm.so`]: lib('libjvm.so', ['libc.so.6']),
    [`${JRE}/lib/libstatic.a`]: 'static archive',
    [`${JRE}/lib/a.txt`]: 'same bytes',
    [`${JRE}/lib/b.txt`]: { hardlinkOf: `${JRE}/lib/a.txt` },
    [`${JRE}/conf/net.properties`]: { link: '/etc/jre/net.properties' },
    [`${JRE}/lib/security/cacerts`]: { link: '/etc/ssl/certs/java/cacerts' },
    [`${JRE}/docs`]: { link: '../../../share/doc/jre' },
    '/usr/share/doc/jre/README': 'jre docs',
    '/usr/bin/su': { content: 'setuid', mode: 0o4755 },
    // jre's /usr/bin/jtool is diverted by a wrapper package that is not in the closure.
    '/usr/bin/jtool': 'wrapper',
    '/usr/bin/jtool.real': 'real jtool',
    '/var/lib/dpkg/diversions': '/usr/bin/jtool\n/usr/bin/jtool.real\nwrapper\n',
    // Made by maintainer scripts: owned by no package.
    '/etc/jre/net.properties': 'net',
    '/etc/ssl/certs/java/cacerts': 'jks',
    '/usr/bin/java': { link: '/etc/alternatives/java' },
    '/etc/alternatives/java': { link: `${JRE}/bin/java` },
    '/usr/bin/gcc': { link: '/etc/alternatives/gcc-ish' },
    '/etc/alternatives/gcc-ish': { link: '/usr/bin/gcc-12' },
    '/var/lib/dpkg/alternatives/java': `auto\n/usr/bin/java\n\n${JRE}/bin/java\n1711\n`,
    '/var/lib/dpkg/alternatives/gcc-ish': 'auto\n/usr/bin/gcc\n\n/usr/bin/gcc-12\n10\n',
    '/usr/share/ca-certificates/mozilla/X.crt': 'cert',
    '/etc/ssl/certs/X.pem': { link: '/usr/share/ca-certificates/mozilla/X.crt' },
    '/etc/ssl/certs/abcd1234.0': { link: 'X.pem' },
    '/etc/ssl/certs/ca-certificates.crt': 'bundle',
    '/usr/bin/gcc-12': 'compiler',
    '/usr/lib/gcc/x86_64-linux-gnu/12/cc1': 'cc1',
    '/usr/bin/unrelated': 'nope',
    '/usr/sbin/unowned-tool': 'not in any listed package',
    '/opt/app/tool': { content: 'built by a step', mode: 0o750 },
    '/var/log/dpkg.log': 'log',
    // A package's absolute link that, followed by the kernel from outside a chroot, lands on a host path.
    '/etc/hosts': { link: path.join(root, 'host-sentinel') },
    '/etc/ld.so.cache': 'cache',
  });
  await writeDpkgDb(root, {
    libc6: {
      multiArch: true,
      version: '2.36-9',
      owns: [
        `${ML}/libc.so.6`,
        `${ML}/ld-linux-x86-64.so.2`,
        LD,
        '/etc/ld.so.conf.d/x86_64-linux-gnu.conf',
        '/usr/share/doc/libc6/copyright',
        '/usr/share/locale/de/LC_MESSAGES/libc.mo',
        '/usr/share/locale/fr/LC_MESSAGES/libc.mo',
        '/etc/hosts',
      ],
    },
    jre: {
      depends: 'libc6 (>= 2.34), ca-certificates',
      owns: [
        `${JRE}/bin/java`,
        `${JRE}/lib/libjli.so`,
        `${JRE}/lib/libjava.so`,
        `${JRE}/lib/server/libjvm.so`,
        `${JRE}/lib/libstatic.a`,
        `${JRE}/lib/a.txt`,
        `${JRE}/lib/b.txt`,
        `${JRE}/conf/net.properties`,
        `${JRE}/lib/security/cacerts`,
        `${JRE}/docs`,
        '/usr/share/doc/jre/README',
        '/usr/bin/su',
        '/usr/bin/jtool',
      ],
    },
    'ca-certificates': { owns: ['/usr/share/ca-certificates/mozilla/X.crt'] },
    gcc: { depends: 'libc6', owns: ['/usr/bin/gcc-12', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1'] },
    unrelated: { owns: ['/usr/bin/unrelated'] },
    wrapper: { owns: ['/usr/bin/jtool'] },
  });
  return root;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(over: Partial<CollectOptions> = {}) {
  const buildRoot = await fakeBuildRoot();
  const out = await mkdtemp(path.join(os.tmpdir(), 'jrt-out-'));
  dirs.push(buildRoot, out);
  const outTree = path.join(out, 'rootfs');
  const opts: CollectOptions = {
    buildRoot,
    outTree,
    packages: ['jre'],
    exclude: [],
    buildOnly: ['gcc'],
    paths: ['/opt/app/tool'],
    strip: { docs: true, locales: ['de'], static_libs: true, pycache: false, paths: [] },
    ...over,
  };
  return { buildRoot, outTree, opts };
}

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

describe('collectRuntime on a fake build root', () => {
  it('copies the closure, follows links out of it, adds generated /etc, strips, and the result checks clean', async () => {
    const { buildRoot, outTree, opts } = await setup();
    const r = await collectRuntime(opts);
    expect(r.packages).toEqual([
      { name: 'jre', version: '1.0-1' },
      { name: 'libc6', version: '2.36-9' },
      { name: 'ca-certificates', version: '1.0-1' },
    ]);
    const t = (p: string) => path.join(outTree, p);
    // merged-usr layout, libc at its canonical place
    expect(await readlink(t('lib'))).toBe('usr/lib');
    expect(await readlink(t('lib64'))).toBe('usr/lib64');
    expect((await lstat(t(`/usr/lib/x86_64-linux-gnu/libc.so.6`))).isFile()).toBe(true);
    expect(await readlink(t('/usr/lib64/ld-linux-x86-64.so.2'))).toBe(`${ML}/ld-linux-x86-64.so.2`);
    // links followed into unowned files; alternatives carried
    expect(await readFile(t('/etc/jre/net.properties'), 'utf8')).toBe('net');
    expect(await readFile(t('/etc/ssl/certs/java/cacerts'), 'utf8')).toBe('jks');
    expect(await readlink(t('/usr/bin/java'))).toBe('/etc/alternatives/java');
    expect(await readlink(t('/etc/alternatives/java'))).toBe(`${JRE}/bin/java`);
    // the generated certificate store of ca-certificates
    expect(await readFile(t('/etc/ssl/certs/ca-certificates.crt'), 'utf8')).toBe('bundle');
    expect(await readlink(t('/etc/ssl/certs/abcd1234.0'))).toBe('X.pem');
    // recipe paths keep their mode; set-id bits are dropped
    expect((await stat(t('/opt/app/tool'))).mode & 0o7777).toBe(0o750);
    expect((await stat(t('/usr/bin/su'))).mode & 0o7777).toBe(0o755);
    expect(r.warnings.some((w) => w.includes('/usr/bin/su'))).toBe(true);
    // hard links become separate files with the same bytes
    const [a, b] = [await stat(t(`${JRE}/lib/a.txt`)), await stat(t(`${JRE}/lib/b.txt`))];
    expect(a.ino).not.toBe(b.ino);
    expect(await readFile(t(`${JRE}/lib/b.txt`), 'utf8')).toBe('same bytes');
    // a diverted file is taken from where dpkg diverted it; the diverting package's file stays out
    expect(await readFile(t('/usr/bin/jtool.real'), 'utf8')).toBe('real jtool');
    expect(await exists(t('/usr/bin/jtool'))).toBe(false);
    // generated identity files
    expect(await readFile(t('/etc/passwd'), 'utf8')).toContain('nobody:x:65534:65534:');
    expect(await readFile(t('/etc/group'), 'utf8')).toContain('nogroup:x:65534:');
    expect(await readFile(t('/etc/nsswitch.conf'), 'utf8')).toContain('passwd: files');
    expect(await readFile(t('/etc/hosts'), 'utf8')).toContain('localhost');
    expect((await lstat(t('/etc/hosts'))).isFile()).toBe(true);
    expect(await readFile(t('/etc/resolv.conf'), 'utf8')).toBe('');
    expect(await exists(path.join(buildRoot, 'host-sentinel'))).toBe(false);
    // stripped: libc docs and fr locale and the static lib; the linked JRE docs stay
    expect(await exists(t('/usr/share/doc/libc6'))).toBe(false);
    expect(await readFile(t('/usr/share/doc/jre/README'), 'utf8')).toBe('jre docs');
    expect(await exists(t('/usr/share/locale/de/LC_MESSAGES/libc.mo'))).toBe(true);
    expect(await exists(t('/usr/share/locale/fr'))).toBe(false);
    expect(await exists(t(`${JRE}/lib/libstatic.a`))).toBe(false);
    // nothing that is not in the closure, nothing of the install leftovers
    expect(await readlink(t('sbin'))).toBe('usr/sbin');
    for (const p of [
      '/usr/sbin/unowned-tool',
      '/usr/bin/unrelated',
      '/usr/bin/gcc',
      '/usr/bin/gcc-12',
      '/var/log/dpkg.log',
      '/etc/ld.so.cache',
      '/var/lib/dpkg',
    ]) {
      expect(await exists(t(p)), p).toBe(false);
    }
    // the build root is untouched
    expect(await exists(path.join(buildRoot, 'usr/share/doc/libc6/copyright'))).toBe(true);
    // counts match the tree
    const files = (await walkTree(outTree)).filter((e) => e.type === 'file');
    expect(r.files).toBe(files.length);
    expect(r.bytes).toBe(files.reduce((n, e) => n + e.size, 0));
    const report = await checkRuntime(outTree);
    expect(report.missing).toEqual([]);
    expect(report.hostProvided).toHaveLength(1);
  });

  it('refuses a build-only file that reached the tree', async () => {
    const { opts } = await setup({ paths: ['/usr/bin/gcc-12'] });
    const err = await collectRuntime(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JrtError);
    expect((err as JrtError).code).toBe('ERR_JRT_CLOSURE_BUILD_ONLY');
    expect((err as JrtError).message).toContain('/usr/bin/gcc-12 (gcc)');
  });

  it('a build package the runtime depends on becomes a runtime package, with a warning', async () => {
    const { opts } = await setup({ buildOnly: ['libc6', 'gcc'] });
    const r = await collectRuntime(opts);
    expect(r.warnings).toContain(
      'libc6 is a build package but the runtime needs it (via jre): it is kept as a runtime package',
    );
  });

  it('an excluded dependency stays out, and then the check names what is missing', async () => {
    const { outTree, opts } = await setup({ exclude: ['libc6'] });
    const r = await collectRuntime(opts);
    expect(r.packages.map((p) => p.name)).toEqual(['jre', 'ca-certificates']);
    const err = await checkRuntime(outTree).catch((e: unknown) => e);
    expect((err as JrtError).code).toBe('ERR_JRT_CLOSURE_MISSING_LIB');
    expect((err as JrtError).message).toContain(
      `rootfs${JRE}/bin/java: needs libc.so.6, not found in the runtime`,
    );
  });

  it.each([
    ['a runtime path that does not exist', { paths: ['/opt/none'] }, 'ERR_JRT_CLOSURE_PATH_MISSING'],
    ['a runtime package that is not installed', { packages: ['ghost'] }, 'ERR_JRT_CLOSURE_NOT_INSTALLED'],
  ])('%s is an error', async (_name, over, code) => {
    const { opts } = await setup(over);
    const err = await collectRuntime(opts).catch((e: unknown) => e);
    expect((err as JrtError).code).toBe(code);
  });

  it('refuses an output tree that is not empty', async () => {
    const { outTree, opts } = await setup();
    await mkdir(outTree);
    await writeFile(path.join(outTree, 'stale'), 'x');
    const err = await collectRuntime(opts).catch((e: unknown) => e);
    expect((err as JrtError).code).toBe('ERR_JRT_CLOSURE_OUT_NOT_EMPTY');
  });
});
