/**
 * `jrt outdated` against a loopback mirror with signed indexes of bookworm and its security and
 * updates pockets: what it lists, in which order, with which exit status, and that a forged pocket
 * index is refused as a build refuses it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lock } from '../../src/builder/lock.js';
import { jrt, makeJrtHome, requireTools } from '../helpers/jrt.js';
import {
  fakeDeb,
  lockFor,
  publishIndex,
  recipeText,
  routedServer,
  signingKey,
} from '../security/inputs-harness.js';

let mirror: Awaited<ReturnType<typeof routedServer>>;
let archive: Awaited<ReturnType<typeof signingKey>>;
let attacker: Awaited<ReturnType<typeof signingKey>>;

beforeAll(async () => {
  requireTools({ gpg: 'gnupg', gpgv: 'gpgv', xz: 'xz-utils' });
  mirror = await routedServer('127.0.0.1');
  archive = await signingKey('jrt test archive');
  attacker = await signingKey('not the archive');
  // bookworm has the locked versions; security a fix of libssl3 and of the base's zlib1g; updates tzdata.
  publishIndex(mirror, archive, [
    fakeDeb('dash', '1.0-1'),
    fakeDeb('coreutils', '1.0-1'),
    fakeDeb('libssl3', '3.0.15-1~deb12u1'),
    fakeDeb('tzdata', '2024a-0+deb12u1'),
  ]);
  publishIndex(
    mirror,
    archive,
    [fakeDeb('libssl3', '3.0.17-1~deb12u2'), fakeDeb('coreutils', '1.0-1+deb12u1')],
    {
      suite: 'bookworm-security',
    },
  );
  publishIndex(mirror, archive, [fakeDeb('tzdata', '2025b-0+deb12u1')], { suite: 'bookworm-updates' });
}, 60_000);

afterAll(async () => {
  await mirror?.close();
  archive?.close();
  attacker?.close();
});

async function homeWithRecipe() {
  const h = await makeJrtHome({
    prefix: 'jrt-outdated-',
    extra: { JRT_DEBIAN_MIRROR: mirror.url, JRT_DEBIAN_KEYRING: archive.keyring },
  });
  const text = recipeText({ packages: ['libssl3', 'tzdata'], pockets: ['security', 'updates'] });
  const v1 = lockFor(text);
  const release = (p: (typeof v1.base)[number]) => ({ ...p, pocket: 'release' as const });
  const lock: Lock = {
    ...v1,
    lock_version: 2,
    pockets: ['security', 'updates'],
    base: v1.base.map(release),
    packages: [fakeDeb('libssl3', '3.0.15-1~deb12u1'), fakeDeb('tzdata', '2024a-0+deb12u1')].map(
      ({ bytes: _, ...d }) => release(d),
    ),
  };
  writeFileSync(path.join(h.recipes, 'tiny.yml'), text);
  writeFileSync(path.join(h.recipes, 'tiny-1.lock.json'), JSON.stringify(lock));
  return h;
}

describe('jrt outdated', { timeout: 60_000 }, () => {
  it('lists newer versions from the pockets, security fixes first, and exits 3', async () => {
    const h = await homeWithRecipe();
    const r = await jrt(h, ['outdated', '--json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const [report] = JSON.parse(r.stdout).recipes;
    expect(report.indexes.map((i: { dist: string }) => i.dist)).toEqual([
      'bookworm',
      'bookworm-security',
      'bookworm-updates',
    ]);
    expect(
      report.packages.map((p: Record<string, unknown>) => [
        p.package,
        p.part,
        p.locked,
        p.available,
        p.pocket,
        p.security,
      ]),
    ).toEqual([
      ['coreutils', 'base', '1.0-1', '1.0-1+deb12u1', 'security', true],
      ['libssl3', 'packages', '3.0.15-1~deb12u1', '3.0.17-1~deb12u2', 'security', true],
      ['tzdata', 'packages', '2024a-0+deb12u1', '2025b-0+deb12u1', 'updates', false],
    ]);
    const human = await jrt(h, ['outdated', 'tiny-1']);
    expect(human.exitCode).toBe(3);
    expect(human.stdout.split('\n')[0]).toBe(
      'tiny-1: 3 newer in bookworm, bookworm-security, bookworm-updates, 2 security fixes',
    );
  });

  it('a lock that has every newest version is up to date: exit 0', async () => {
    const h = await homeWithRecipe();
    const lock = JSON.parse(readFileSync(path.join(h.recipes, 'tiny-1.lock.json'), 'utf8')) as Lock;
    const newest = { libssl3: '3.0.17-1~deb12u2', tzdata: '2025b-0+deb12u1', coreutils: '1.0-1+deb12u1' };
    for (const p of [...lock.base, ...lock.packages])
      p.version = newest[p.package as keyof typeof newest] ?? p.version;
    writeFileSync(path.join(h.recipes, 'tiny-1.lock.json'), JSON.stringify(lock));
    const r = await jrt(h, ['outdated']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('tiny-1: up to date with bookworm, bookworm-security, bookworm-updates\n');
  });

  it('a security pocket index signed by another key is refused (ERR_JRT_DEBIAN_INDEX, exit 1)', async () => {
    const forged = await routedServer('127.0.0.1');
    try {
      publishIndex(forged, archive, [fakeDeb('libssl3', '3.0.15-1~deb12u1')]);
      publishIndex(forged, attacker, [fakeDeb('libssl3', '9.9.9-1')], { suite: 'bookworm-security' });
      publishIndex(forged, archive, [], { suite: 'bookworm-updates' });
      const h = await homeWithRecipe();
      const r = await jrt(h, ['outdated', '--json'], { JRT_DEBIAN_MIRROR: forged.url });
      expect(r.exitCode).toBe(1);
      expect(JSON.parse(r.stdout).error.code).toBe('ERR_JRT_DEBIAN_INDEX');
    } finally {
      await forged.close();
    }
  });
});
