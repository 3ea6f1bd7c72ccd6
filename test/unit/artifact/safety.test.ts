import { describe, expect, it } from 'vitest';
import {
  entryPathProblem,
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

  it('refuses setuid/setgid/sticky files and setuid dirs, allows setgid/sticky dirs', () => {
    expect(modeProblem('file', 0o4755)).toMatch(/setuid/);
    expect(modeProblem('file', 0o2755)).toMatch(/setgid/);
    expect(modeProblem('file', 0o1644)).toMatch(/sticky/);
    expect(modeProblem('file', 0o755)).toBeUndefined();
    expect(modeProblem('dir', 0o4755)).toMatch(/setuid/);
    expect(modeProblem('dir', 0o3777)).toBeUndefined();
  });
});

describe('mountSourceProblem', () => {
  const entries = new Map(
    [
      { path: 'rootfs', type: 'dir' as const },
      { path: 'rootfs/usr', type: 'dir' as const },
      { path: 'rootfs/usr/lib', type: 'dir' as const },
      { path: 'rootfs/etc', type: 'dir' as const },
      { path: 'rootfs/etc/ssl', type: 'symlink' as const, target: '/etc/ssl' },
      { path: 'rootfs/lib', type: 'symlink' as const, target: 'usr/lib' },
      { path: 'rootfs/usr/file', type: 'file' as const },
    ].map((e) => [e.path, { mode: 0o755, size: 0, ...e }]),
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
