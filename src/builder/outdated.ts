/**
 * `jrt outdated`: which locked Debian packages have a newer version in the archive's current signed
 * indexes of the recipe's suite and pockets. `findOutdated` is pure; `checkOutdated` reads today's
 * indexes (fetched and verified as a build's are) and calls it.
 *
 * A newer version counts from the suite, security and updates (apt's rule: the highest of them
 * wins); from backports only for a package the lock already takes from backports, since apt
 * installs nothing else from there.
 */
import { compareDebianVersions } from '../core/deb-version.js';
import { ARCHIVE_POCKETS, type Archive, type ArchivePocket } from './archives.js';
import { type IndexSettings, newestVersions, openSignedIndex, signedIndexes } from './debian-index.js';
import type { DebianInput, Lock } from './lock.js';

export interface OutdatedPackage {
  package: string;
  architecture: string;
  /** `base` (the mmdebstrap root) or `packages` (installed on top of it). */
  part: 'base' | 'packages';
  locked: string;
  locked_pocket: ArchivePocket;
  available: string;
  /** The archive of the newest version (the first one, in suite, security, updates order). */
  pocket: ArchivePocket;
  /** The newest version is in the security pocket: a security fix. */
  security: boolean;
}

/** Newest version of each `name:arch` in each archive's index. */
export type NewestByArchive = Map<ArchivePocket, Map<string, string>>;

export function findOutdated(lock: Lock, newest: NewestByArchive): OutdatedPackage[] {
  const out: OutdatedPackage[] = [];
  const parts: ['base' | 'packages', DebianInput[]][] = [
    ['base', lock.base],
    ['packages', lock.packages],
  ];
  for (const [part, inputs] of parts) {
    for (const p of inputs) {
      const lockedPocket = p.pocket ?? 'release';
      const key = `${p.package}:${p.architecture}`;
      let best: { version: string; pocket: ArchivePocket } | undefined;
      for (const pocket of ARCHIVE_POCKETS) {
        if (pocket === 'backports' && lockedPocket !== 'backports') continue;
        const v = newest.get(pocket)?.get(key);
        if (v !== undefined && (!best || compareDebianVersions(v, best.version) > 0))
          best = { version: v, pocket };
      }
      if (!best || compareDebianVersions(best.version, p.version) <= 0) continue;
      out.push({
        package: p.package,
        architecture: p.architecture,
        part,
        locked: p.version,
        locked_pocket: lockedPocket,
        available: best.version,
        pocket: best.pocket,
        security: newest.get('security')?.get(key) === best.version,
      });
    }
  }
  // Security fixes first, then by name.
  return out.sort(
    (a, b) =>
      Number(b.security) - Number(a.security) || (a.package < b.package ? -1 : a.package > b.package ? 1 : 0),
  );
}

export interface OutdatedCheck {
  /** Each archive's index that was read: its dist and the date it was signed. */
  indexes: { dist: string; date: string }[];
  packages: OutdatedPackage[];
}

/** Compare `lock` with the newest signed index of each archive (today's, unless it is out of reach). */
export async function checkOutdated(
  settings: IndexSettings,
  archives: readonly Archive[],
  lock: Lock,
): Promise<OutdatedCheck> {
  const names = new Set([...lock.base, ...lock.packages].map((p) => p.package));
  const newest: NewestByArchive = new Map();
  const indexes: OutdatedCheck['indexes'] = [];
  for (const archive of archives) {
    const ctx = { ...settings, suite: archive.dist, mirror: archive.mirror };
    const [today] = await signedIndexes(ctx);
    const index = await openSignedIndex(ctx, today as string);
    indexes.push({ dist: archive.dist, date: index.date });
    newest.set(archive.pocket, await newestVersions(index.packages, names));
  }
  return { indexes, packages: findOutdated(lock, newest) };
}
