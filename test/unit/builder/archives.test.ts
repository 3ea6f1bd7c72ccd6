/** A suite and its pockets: archives, apt lines, the base root's cache name, the security mirror. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptSourceLines, archivesOf } from '../../../src/builder/archives.js';
import { baseTarball } from '../../../src/builder/base.js';
import { hostDebianMirror, hostDebianSecurityMirror } from '../../../src/core/host-sources.js';
import { defaultPockets } from '../../../src/recipe/defaults.js';
import { tempDirSync } from '../../helpers/temp.js';

const MIRRORS = { debian: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' };

describe('archivesOf', () => {
  it('the suite first, then security on the security archive, updates and backports on the mirror', () => {
    const archives = archivesOf('bookworm', ['security', 'updates', 'backports'], MIRRORS);
    expect(aptSourceLines(archives)).toEqual([
      'deb http://deb.debian.org/debian bookworm main',
      'deb http://deb.debian.org/debian-security bookworm-security main',
      'deb http://deb.debian.org/debian bookworm-updates main',
      'deb http://deb.debian.org/debian bookworm-backports main',
    ]);
    expect(archives.map((a) => a.pocket)).toEqual(['release', 'security', 'updates', 'backports']);
  });

  it('security and updates by default for a stable suite, nothing for sid', () => {
    expect(defaultPockets('bookworm')).toEqual(['security', 'updates']);
    expect(defaultPockets('trixie')).toEqual(['security', 'updates']);
    expect(defaultPockets('sid')).toEqual([]);
    expect(defaultPockets('unstable')).toEqual([]);
  });

  it('a base root is cached per suite, pockets and mirrors; the suite alone keeps its old name', () => {
    expect(baseTarball('/c', archivesOf('bookworm', [], MIRRORS))).toBe(
      '/c/bases/bookworm@deb.debian.org_debian.tar',
    );
    expect(baseTarball('/c', archivesOf('bookworm', ['security', 'updates'], MIRRORS))).toBe(
      '/c/bases/bookworm+security+updates@deb.debian.org_debian+deb.debian.org_debian-security.tar',
    );
    expect(baseTarball('/c', archivesOf('trixie', ['updates', 'backports'], MIRRORS))).toBe(
      '/c/bases/trixie+updates+backports@deb.debian.org_debian.tar',
    );
  });
});

describe('hostDebianSecurityMirror', () => {
  const etc = tempDirSync('jrt-apt-');
  mkdirSync(path.join(etc, 'sources.list.d'));
  writeFileSync(
    path.join(etc, 'sources.list.d/debian.sources'),
    [
      'Types: deb',
      'URIs: http://mirror.example/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      '',
      'Types: deb',
      'URIs: http://security.example/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
    ].join('\n'),
  );

  it("takes the host's apt sources: the security URI for security, the other for the mirror", async () => {
    expect(await hostDebianMirror({}, etc)).toBe('http://mirror.example/debian');
    expect(await hostDebianSecurityMirror({}, etc)).toBe('http://security.example/debian-security');
  });

  it('JRT_DEBIAN_SECURITY_MIRROR wins; JRT_DEBIAN_MIRROR brings its debian-security sibling (or itself)', async () => {
    expect(await hostDebianSecurityMirror({ JRT_DEBIAN_SECURITY_MIRROR: 'http://s.test/sec/' }, etc)).toBe(
      'http://s.test/sec',
    );
    expect(await hostDebianSecurityMirror({ JRT_DEBIAN_MIRROR: 'http://m.test/debian' }, etc)).toBe(
      'http://m.test/debian-security',
    );
    expect(await hostDebianSecurityMirror({ JRT_DEBIAN_MIRROR: 'http://127.0.0.1:8080' }, etc)).toBe(
      'http://127.0.0.1:8080',
    );
  });

  it('without apt sources: the fallback mirror’s debian-security', async () => {
    expect(await hostDebianSecurityMirror({}, tempDirSync('jrt-apt-empty-'))).toBe(
      'http://deb.debian.org/debian-security',
    );
  });
});
