import { describe, expect, it } from 'vitest';
import {
  divertedPath,
  isInstalledStatus,
  parseAlternative,
  parseDeb822,
  parseDepends,
  parseDiversions,
  parseFileList,
  parseStatus,
} from '../../../src/builder/dpkg.js';

describe('parseDepends', () => {
  it.each([
    ['', []],
    ['libc6 (>= 2.34)', [[{ name: 'libc6', constraint: '>= 2.34' }]]],
    ['a | b:any, c', [[{ name: 'a' }, { name: 'b' }], [{ name: 'c' }]]],
    ['python3:any (>= 3.11~)', [[{ name: 'python3', constraint: '>= 3.11~' }]]],
    ['libfoo [amd64] <!nocheck>, bar', [[{ name: 'libfoo' }], [{ name: 'bar' }]]],
    [
      'debconf (>= 0.5) | debconf-2.0',
      [[{ name: 'debconf', constraint: '>= 0.5' }, { name: 'debconf-2.0' }]],
    ],
    ['x,\n y (<<  2)', [[{ name: 'x' }], [{ name: 'y', constraint: '<< 2' }]]],
  ])('%j', (text, clauses) => {
    expect(parseDepends(text)).toEqual(clauses);
  });
});

describe('parseDeb822', () => {
  it('splits stanzas and joins continuation lines', () => {
    const s = parseDeb822('Package: a\nDescription: one\n two\n\n\nPackage: b\nVersion: 1\n');
    expect(s).toHaveLength(2);
    expect(s[0]?.get('Description')).toBe('one\ntwo');
    expect(s[1]?.get('Version')).toBe('1');
  });
});

describe('isInstalledStatus', () => {
  it.each([
    ['install ok installed', true],
    ['hold ok installed', true],
    ['deinstall ok config-files', false],
    ['install ok unpacked', false],
    [undefined, false],
  ])('%s → %s', (status, ok) => {
    expect(isInstalledStatus(status)).toBe(ok);
  });
});

const STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9
Depends: libgcc-s1
Conffiles:
 /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab

Package: libc6
Status: install ok installed
Architecture: i386
Multi-Arch: same
Version: 2.36-9

Package: removed
Status: deinstall ok config-files
Version: 1

Package: mawk
Status: install ok installed
Architecture: amd64
Essential: yes
Version: 1.3.4
Provides: awk
Pre-Depends: libc6 (>= 2.34)
`;

describe('parseStatus', () => {
  const db = parseStatus(STATUS, 'amd64');
  it('keeps only installed packages, the native architecture winning', () => {
    expect([...db.packages.keys()].sort()).toEqual(['libc6', 'mawk']);
    expect(db.packages.get('libc6')?.architecture).toBe('amd64');
  });
  it('reads conffiles, essential, provides, pre-depends', () => {
    expect(db.packages.get('libc6')?.conffiles).toEqual(['/etc/ld.so.conf.d/x86_64-linux-gnu.conf']);
    expect(db.packages.get('mawk')?.essential).toBe(true);
    expect(db.providers.get('awk')).toEqual(['mawk']);
    expect(db.packages.get('mawk')?.preDepends).toEqual([[{ name: 'libc6', constraint: '>= 2.34' }]]);
  });
  it('reads the host dpkg status file', async () => {
    const { readDpkgDb } = await import('../../../src/builder/dpkg.js');
    const host = await readDpkgDb('/');
    expect(host.packages.get('libc6')?.version).toMatch(/^2\./);
  });
});

describe('file lists and alternatives', () => {
  it('parseFileList drops /. and blank lines', () => {
    expect(parseFileList('/.\n/usr\n/usr/bin/x\n\n')).toEqual(['/usr', '/usr/bin/x']);
  });
  it('parseAlternative reads the master, the slaves and every choice with its priority', () => {
    const text =
      'auto\n/usr/bin/java\njava.1.gz\n/usr/share/man/man1/java.1.gz\n\n/usr/lib/jvm/x/bin/java\n1711\n/usr/lib/jvm/x/man/java.1.gz\n/usr/lib/jvm/y/bin/java\n2111\n\n\n';
    expect(parseAlternative('java', text)).toEqual({
      name: 'java',
      link: '/usr/bin/java',
      slaves: [{ name: 'java.1.gz', link: '/usr/share/man/man1/java.1.gz' }],
      choices: [
        { path: '/usr/lib/jvm/x/bin/java', priority: 1711, slavePaths: ['/usr/lib/jvm/x/man/java.1.gz'] },
        { path: '/usr/lib/jvm/y/bin/java', priority: 2111, slavePaths: [''] },
      ],
    });
  });
});

describe('diversions', () => {
  const d = parseDiversions(
    '/bin/sh\n/bin/sh.distrib\ndash\n/usr/bin/pg_config\n/usr/bin/pg_config.libpq-dev\npostgresql-common\n',
  );
  it.each([
    ['/usr/bin/pg_config', 'libpq-dev', '/usr/bin/pg_config.libpq-dev'],
    ['/usr/bin/pg_config', 'postgresql-common', '/usr/bin/pg_config'],
    ['/bin/sh', 'bash', '/bin/sh.distrib'],
    ['/usr/bin/other', 'x', '/usr/bin/other'],
  ])('%s listed by %s is at %s', (listed, pkg, real) => {
    expect(divertedPath(listed, pkg, d)).toBe(real);
  });
});
