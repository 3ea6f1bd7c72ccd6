import { describe, expect, it } from 'vitest';
import {
  entryPathProblem,
  indexManifest,
  modeProblem,
  mountSourceProblem,
  symlinkProblem,
} from '../../../src/artifact/safety.js';

describe('symlinkProblem', () => {
  const links = new Map<string, string>([
    ['rootfs/bin', 'usr/bin'],
    ['rootfs/usr/lib/up2', '../..'],
    ['rootfs/usr/lib/abs', '/usr'],
    ['rootfs/usr/lib/loop1', 'loop2'],
    ['rootfs/usr/lib/loop2', 'loop1'],
  ]);
  const table: [string, string, RegExp | undefined][] = [
    ['rootfs/usr/bin/python3', 'python3.11', undefined],
    ['rootfs/usr/lib/jvm/bin/java', '../../../bin/java', undefined],
    ['rootfs/usr/lib/jvm/conf', '/etc/java-17-openjdk', undefined],
    ['rootfs/usr/bin/x', '/../../../../etc/shadow', undefined], // clamped at the job's root: rootfs/etc/shadow
    ['rootfs/usr/bin/y', '../../../runtime.yml', undefined], // inside the runtime directory
    ['rootfs/usr/bin/z', '../../../../etc', /leaves the runtime directory/],
    ['top', '/etc/shadow', /outside rootfs/],
    ['top', 'rootfs/usr', undefined],
    ['rootfs/a', 'usr/lib/up2/../..', /leaves/], // up2 resolves to rootfs, then ../.. escapes
    ['rootfs/b', 'usr/lib/abs/lib', undefined], // absolute link inside rootfs re-roots at rootfs
    ['rootfs/c', 'usr/lib/loop1', /too many levels/],
    ['rootfs/d', '', /empty/],
  ];
  for (const [at, target, want] of table) {
    it(`${at} -> '${target}' is ${want ? 'refused' : 'allowed'}`, () => {
      const got = symlinkProblem(at, target, links);
      if (want) expect(got).toMatch(want);
      else expect(got).toBeUndefined();
    });
  }
});

describe('symlinkProblem: counting links as the kernel does, in linear time', () => {
  /** rootfs/c/p1 -> p2 -> ... -> pN -> ../usr/bin/tool */
  const chain = (n: number) => {
    const links = new Map<string, string>();
    for (let k = 1; k < n; k++) links.set(`rootfs/c/p${k}`, `p${k + 1}`);
    links.set(`rootfs/c/p${n}`, '../usr/bin/tool');
    return links;
  };

  it('follows up to 40 links behind a link and refuses 41', () => {
    expect(symlinkProblem('rootfs/c/x', 'p1', chain(40))).toBeUndefined();
    expect(symlinkProblem('rootfs/c/x', 'p1', chain(41))).toMatch(/too many levels of symlinks$/);
  });

  it('counts the links of every component, not only the first', () => {
    // Two components, each a chain of 20: 40 links in all.
    const links = chain(20);
    // p1 ends at rootfs/usr/bin/tool; three levels up and into c/ again.
    links.set('rootfs/c/q', 'p1/../../../c/p1');
    expect(symlinkProblem('rootfs/c/x', 'q', links)).toBe(
      "symlink target 'q' has too many levels of symlinks",
    );
    expect(symlinkProblem('rootfs/c/x', 'p1/../../../c/p1', links)).toBeUndefined();
  });

  it('refuses a loop through the link itself, and a target longer than Linux allows', () => {
    expect(symlinkProblem('rootfs/c/x', '../c/x/y', new Map())).toMatch(/too many levels/);
    expect(symlinkProblem('rootfs/c/x', 'a/'.repeat(2048), new Map())).toBe(
      'symlink target longer than 4095 bytes',
    );
  });
});

describe('entryPathProblem / modeProblem', () => {
  it.each([
    ['rootfs/usr', undefined],
    ['../x', /climbs/],
    ['a/../b', /climbs/],
    ['/etc/x', /absolute/],
    ['a//b', /not normalised/],
    ['./a', /not normalised/],
    ['', /empty/],
    ['a\0b', /NUL/],
  ])('%j', (p, want) => {
    const got = entryPathProblem(p);
    if (want) expect(got).toMatch(want);
    else expect(got).toBeUndefined();
  });

  it('refuses setuid/setgid/sticky files and setuid dirs, allows setgid/sticky dirs that are not writable', () => {
    expect(modeProblem('file', 0o4755)).toMatch(/setuid/);
    expect(modeProblem('file', 0o2755)).toMatch(/setgid/);
    expect(modeProblem('file', 0o1644)).toMatch(/sticky/);
    expect(modeProblem('file', 0o755)).toBeUndefined();
    expect(modeProblem('dir', 0o4755)).toMatch(/setuid/);
    expect(modeProblem('dir', 0o3755)).toBeUndefined();
  });

  it('refuses group- and world-writable files and directories, sticky or not; symlinks have no mode', () => {
    expect(modeProblem('file', 0o664)).toBe('group-writable file (mode 664)');
    expect(modeProblem('file', 0o646)).toBe('world-writable file (mode 646)');
    expect(modeProblem('dir', 0o775)).toBe('group-writable directory (mode 775)');
    expect(modeProblem('dir', 0o1777)).toBe('world-writable directory (mode 1777)');
    expect(modeProblem('dir', 0o2755)).toBeUndefined();
    expect(modeProblem('symlink', 0o777)).toBeUndefined();
  });
});

describe('mountSourceProblem', () => {
  const entries = indexManifest(
    [
      { path: 'rootfs', type: 'dir' as const },
      { path: 'rootfs/usr', type: 'dir' as const },
      { path: 'rootfs/usr/lib', type: 'dir' as const },
      { path: 'rootfs/etc', type: 'dir' as const },
      { path: 'rootfs/etc/ssl', type: 'symlink' as const, target: '/etc/ssl' },
      { path: 'rootfs/lib', type: 'symlink' as const, target: 'usr/lib' },
      { path: 'rootfs/usr/file', type: 'file' as const },
    ].map((e) => ({ mode: 0o755, size: 0, ...e })),
  );
  it.each([
    ['rootfs/usr', undefined],
    ['rootfs/usr/lib/', undefined],
    ['rootfs/usr/file', undefined],
    ['rootfs/etc/ssl', /through the symlink rootfs\/etc\/ssl/],
    ['rootfs/lib/x', /through the symlink rootfs\/lib/],
    ['rootfs/usr/file/x', /not a directory/],
    ['rootfs/opt', /not in the runtime/],
    ['../x', /climbs/],
    ['/usr', /absolute/],
  ])('%j', (source, want) => {
    const got = mountSourceProblem(source, entries);
    if (want) expect(got).toMatch(want);
    else expect(got).toBeUndefined();
  });
});
