import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { globToRegExp, planStrip, staticLibsMissedByLinker, stripTree } from '../../../src/builder/strip.js';
import type { TreeEntry } from '../../../src/core/tree-walk.js';
import type { StripRules } from '../../../src/recipe/types.js';
import { writeTree } from '../../fixtures/closure/fake-root.js';

const RULES: StripRules = { docs: true, locales: ['de'], static_libs: true, pycache: true, paths: [] };

function entries(spec: Record<string, 'file' | 'dir' | string>): TreeEntry[] {
  return Object.entries(spec)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([p, t]) =>
      t === 'file' || t === 'dir'
        ? { path: p, type: t, size: t === 'file' ? 10 : 0, mode: 0o644 }
        : { path: p, type: 'symlink' as const, size: 0, mode: 0o777, target: t },
    );
}

const removed = (spec: Record<string, string>, rules: StripRules, chains = new Map<string, string[]>()) =>
  planStrip(entries(spec), rules, chains)
    .remove.map((e) => e.path)
    .sort();

describe('planStrip', () => {
  it.each([
    [
      'docs, man, info, lintian go with their contents',
      {
        '/usr/share/doc': 'dir',
        '/usr/share/doc/a': 'dir',
        '/usr/share/doc/a/c': 'file',
        '/usr/share/man': 'dir',
        '/usr/share/info': 'dir',
        '/usr/share/lintian': 'dir',
      },
      RULES,
      [
        '/usr/share/doc',
        '/usr/share/doc/a',
        '/usr/share/doc/a/c',
        '/usr/share/info',
        '/usr/share/lintian',
        '/usr/share/man',
      ],
    ],
    [
      'docs: false keeps them',
      { '/usr/share/doc': 'dir', '/usr/share/doc/x': 'file' },
      { ...RULES, docs: false },
      [],
    ],
    [
      'locales except the kept ones (de, de_DE.UTF-8) and C.utf8',
      {
        '/usr/share/locale/de': 'dir',
        '/usr/share/locale/de_AT': 'dir',
        '/usr/share/locale/fr': 'dir',
        '/usr/share/locale/locale.alias': 'file',
        '/usr/lib/locale/C.utf8': 'dir',
        '/usr/lib/locale/fr_FR.utf8': 'dir',
        '/usr/share/locale/dea': 'dir',
      },
      RULES,
      ['/usr/lib/locale/fr_FR.utf8', '/usr/share/locale/dea', '/usr/share/locale/fr'],
    ],
    [
      'static libs and pycache',
      {
        '/usr/lib/libx.a': 'file',
        '/usr/lib/libx.so': 'file',
        '/usr/lib/p/__pycache__': 'dir',
        '/usr/lib/p/__pycache__/m.pyc': 'file',
      },
      RULES,
      ['/usr/lib/libx.a', '/usr/lib/p/__pycache__', '/usr/lib/p/__pycache__/m.pyc'],
    ],
    [
      'static libs and pycache kept when asked',
      { '/usr/lib/libx.a': 'file', '/usr/lib/p/__pycache__': 'dir' },
      { ...RULES, static_libs: false, pycache: false },
      [],
    ],
    [
      'install leftovers always go',
      {
        '/var/log/dpkg.log': 'file',
        '/var/log': 'dir',
        '/var/cache/apt/pkgcache.bin': 'file',
        '/var/cache/apt/archives': 'dir',
        '/var/cache/ldconfig/aux-cache': 'file',
        '/var/lib/dpkg': 'dir',
        '/var/lib/dpkg/status': 'file',
        '/var/lib/apt': 'dir',
        '/etc/ld.so.cache': 'file',
      },
      { ...RULES, docs: false },
      [
        '/etc/ld.so.cache',
        '/var/cache/apt/pkgcache.bin',
        '/var/cache/ldconfig/aux-cache',
        '/var/lib/apt',
        '/var/lib/dpkg',
        '/var/lib/dpkg/status',
        '/var/log/dpkg.log',
      ],
    ],
    [
      'strip.paths globs',
      { '/usr/lib/jvm/x/src.zip': 'file', '/usr/lib/jvm/x/lib/a.zip': 'file', '/usr/bin/tool': 'file' },
      { ...RULES, paths: ['/usr/lib/jvm/*/src.zip', '/usr/bin/t?ol'] },
      ['/usr/bin/tool', '/usr/lib/jvm/x/src.zip'],
    ],
  ])('%s', (_name, spec, rules, expected) => {
    expect(removed(spec as Record<string, string>, rules)).toEqual(expected);
  });

  it('keeps what a kept symlink reaches (the JDK docs link), transitively, and still removes the rest', () => {
    const spec = {
      '/usr/lib/jvm/x/docs': '../../../share/doc/jre',
      '/usr/share/doc': 'dir',
      '/usr/share/doc/jre': 'dir',
      '/usr/share/doc/jre/README': 'file',
      '/usr/share/doc/jre/more': '../other/f',
      '/usr/share/doc/other': 'dir',
      '/usr/share/doc/other/f': 'file',
      '/usr/share/doc/other/g': 'file',
      '/usr/share/doc/libc6': 'dir',
      '/usr/share/doc/libc6/copyright': 'file',
    };
    const chains = new Map([
      ['/usr/lib/jvm/x/docs', ['/usr/share/doc/jre']],
      ['/usr/share/doc/jre/more', ['/usr/share/doc/other/f']],
    ]);
    const plan = planStrip(entries(spec), RULES, chains);
    expect(plan.remove.map((e) => e.path).sort()).toEqual([
      '/usr/share/doc/libc6',
      '/usr/share/doc/libc6/copyright',
      '/usr/share/doc/other/g',
    ]);
    expect(plan.bytes).toBe(20);
    // Deepest first, so directories are emptied before they are removed.
    expect(plan.remove[0]?.path).toBe('/usr/share/doc/other/g');
  });

  it('a link to a directory that is only partly stripped (lib -> usr/lib) does not keep its contents', () => {
    const spec = {
      '/lib': 'usr/lib',
      '/usr/lib': 'dir',
      '/usr/lib/libx.a': 'file',
      '/usr/lib/libx.so': 'file',
    };
    expect(removed(spec, RULES, new Map([['/lib', ['/usr/lib']]]))).toEqual(['/usr/lib/libx.a']);
  });

  it('a removed symlink protects nothing', () => {
    const spec = { '/usr/share/doc/a': '../b', '/usr/share/doc/b': 'file', '/usr/share/doc': 'dir' };
    expect(removed(spec, RULES, new Map([['/usr/share/doc/a', ['/usr/share/doc/b']]]))).toEqual([
      '/usr/share/doc',
      '/usr/share/doc/a',
      '/usr/share/doc/b',
    ]);
  });
});

describe('globToRegExp', () => {
  it.each([
    ['/usr/lib/*.a', '/usr/lib/libx.a', true],
    ['/usr/lib/*.a', '/usr/lib/sub/libx.a', false],
    ['/usr/**/*.a', '/usr/lib/sub/libx.a', true],
    ['/usr/**/*.a', '/usr/libx.a', true],
    ['/opt/a.b', '/opt/aXb', false],
  ])('%s matches %s: %s', (glob, p, ok) => {
    expect(globToRegExp(glob).test(p)).toBe(ok);
  });
});

describe('stripTree on disk', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));
  it('removes what the plan says, keeps linked doc dirs, reports bytes', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'jrt-strip-'));
    await writeTree(dir, {
      '/usr/lib/jvm/x/docs': { link: '../../../share/doc/jre' },
      '/usr/share/doc/jre/README': 'readme',
      '/usr/share/doc/libc6/copyright': '12345',
      '/usr/share/man/man1/x.1.gz': '123',
      '/var/log/apt/history.log': 'log',
    });
    const r = await stripTree(dir, RULES);
    expect(r.bytes).toBe(5 + 3 + 3);
    expect(await readdir(path.join(dir, 'usr/share/doc'))).toEqual(['jre']);
    await expect(lstat(path.join(dir, 'usr/share/man'))).rejects.toThrow(/ENOENT/);
    expect(await readdir(path.join(dir, 'var/log'))).toEqual([]);
  });
});

describe('a link failure caused by strip.static_libs', () => {
  it('names the static libraries the linker missed that the strip removed', () => {
    const removed = ['libc_nonshared.a', 'libgcc.a', 'libstdc++.a'];
    expect(
      staticLibsMissedByLinker(
        '/usr/bin/ld: cannot find -lgcc: No such file or directory\ncollect2: error: ld returned 1 exit status',
        removed,
      ),
    ).toEqual(['libgcc.a']);
    expect(staticLibsMissedByLinker('ld: cannot find -lstdc++\nld: cannot find -lgcc\n', removed)).toEqual([
      'libgcc.a',
      'libstdc++.a',
    ]);
    expect(
      staticLibsMissedByLinker(
        'ld: cannot find /usr/lib/x86_64-linux-gnu/libc_nonshared.a: No such file or directory',
        removed,
      ),
    ).toEqual(['libc_nonshared.a']);
  });

  it('says nothing when the failure is not about a removed library', () => {
    expect(staticLibsMissedByLinker('ld: cannot find -lssl', ['libgcc.a'])).toEqual([]);
    expect(
      staticLibsMissedByLinker('error[E0425]: cannot find value `x` in this scope', ['libgcc.a']),
    ).toEqual([]);
    expect(staticLibsMissedByLinker('ld: cannot find -lgcc', [])).toEqual([]);
  });

  it('stripTree reports the static libraries it removed, only when static_libs is on', async () => {
    const on = await mkdtemp(path.join(os.tmpdir(), 'jrt-strip-a-'));
    const off = await mkdtemp(path.join(os.tmpdir(), 'jrt-strip-a-'));
    try {
      for (const t of [on, off])
        await writeTree(t, {
          'usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a': 'a',
          'usr/lib/x86_64-linux-gnu/libz.a': 'a',
          'usr/lib/x86_64-linux-gnu/libz.so.1': 'so',
        });
      expect((await stripTree(on, RULES)).staticLibs).toEqual(['libgcc.a', 'libz.a']);
      expect((await stripTree(off, { ...RULES, static_libs: false })).staticLibs).toEqual([]);
    } finally {
      await rm(on, { recursive: true, force: true });
      await rm(off, { recursive: true, force: true });
    }
  });
});
