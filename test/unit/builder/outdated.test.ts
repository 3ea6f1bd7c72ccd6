/** Which locked packages have a newer version in the archive's indexes: security fixes first. */
import { describe, expect, it } from 'vitest';
import type { DebianInput, Lock } from '../../../src/builder/lock.js';
import { findOutdated, type NewestByArchive } from '../../../src/builder/outdated.js';

const deb = (pkg: string, version: string, pocket: DebianInput['pocket'] = 'release'): DebianInput => ({
  package: pkg,
  version,
  architecture: 'amd64',
  filename: `pool/main/${pkg[0]}/${pkg}/${pkg}_${version}_amd64.deb`,
  size: 1,
  sha256: '0'.repeat(64),
  pocket,
});

const lock = (base: DebianInput[], packages: DebianInput[]) =>
  ({
    lock_version: 2,
    suite: 'bookworm',
    pockets: ['security', 'updates', 'backports'],
    base,
    packages,
  }) as Lock;

const newest = (spec: Record<string, Record<string, string>>): NewestByArchive =>
  new Map(
    Object.entries(spec).map(([pocket, versions]) => [
      pocket as 'release',
      new Map(Object.entries(versions).map(([n, v]) => [`${n}:amd64`, v])),
    ]),
  );

describe('findOutdated', () => {
  it('lists packages with a newer version in any pocket, security fixes first, then by name', () => {
    const l = lock(
      [deb('libc6', '2.36-9+deb12u9'), deb('zlib1g', '1:1.2.13.dfsg-1')],
      [deb('libssl3', '3.0.15-1~deb12u1'), deb('tzdata', '2024a-0+deb12u1'), deb('dash', '0.5.12-2')],
    );
    const out = findOutdated(
      l,
      newest({
        release: {
          libc6: '2.36-9+deb12u9',
          zlib1g: '1:1.2.13.dfsg-1',
          libssl3: '3.0.15-1~deb12u1',
          dash: '0.5.12-2',
        },
        security: { libssl3: '3.0.17-1~deb12u2', libc6: '2.36-9+deb12u10' },
        updates: { tzdata: '2025b-0+deb12u1', libc6: '2.36-9+deb12u10' },
      }),
    );
    expect(out.map((p) => [p.package, p.locked, p.available, p.pocket, p.security, p.part])).toEqual([
      ['libc6', '2.36-9+deb12u9', '2.36-9+deb12u10', 'security', true, 'base'],
      ['libssl3', '3.0.15-1~deb12u1', '3.0.17-1~deb12u2', 'security', true, 'packages'],
      ['tzdata', '2024a-0+deb12u1', '2025b-0+deb12u1', 'updates', false, 'packages'],
    ]);
  });

  it('backports count only for a package the lock takes from backports (apt pins them low)', () => {
    const l = lock([], [deb('golang-1.22-go', '1.22.6-1~bpo12+1', 'backports'), deb('make', '4.3-4.1')]);
    const out = findOutdated(
      l,
      newest({
        release: { make: '4.3-4.1' },
        backports: { 'golang-1.22-go': '1.22.12-1~bpo12+1', make: '4.4.1-1~bpo12+1' },
      }),
    );
    expect(out.map((p) => [p.package, p.available, p.pocket])).toEqual([
      ['golang-1.22-go', '1.22.12-1~bpo12+1', 'backports'],
    ]);
  });

  it('a version 1 lock (no pockets) is compared as the suite’s; an older or equal version is not listed', () => {
    const v1 = {
      ...lock([], [{ ...deb('libssl3', '3.0.15-1~deb12u1'), pocket: undefined }]),
      lock_version: 1,
    };
    expect(
      findOutdated(v1 as Lock, newest({ release: { libssl3: '3.0.11-1~deb12u2' } })).map((p) => p.package),
    ).toEqual([]);
    expect(
      findOutdated(v1 as Lock, newest({ security: { libssl3: '3.0.17-1~deb12u2' } })).map((p) => [
        p.locked_pocket,
        p.pocket,
      ]),
    ).toEqual([['release', 'security']]);
  });
});
