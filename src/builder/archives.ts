/**
 * The archives a recipe's Debian packages come from: its suite (`release`) and the pockets it takes
 * — `security` (`<suite>-security` on Debian's security archive), `updates` (`<suite>-updates`) and
 * `backports` (`<suite>-backports`), each with its own signed InRelease. Pure.
 *
 * Which version wins is apt's rule, applied by apt itself in the build root: the highest version
 * across the suite, security and updates (all at priority 500); backports are `NotAutomatic:
 * yes` with `ButAutomaticUpgrades: yes` (priority 100), so a package comes from backports only when
 * no other archive of the recipe has it (Go 1.22 in bookworm, and its dependencies that only
 * backports has). jrt does not pin a package to backports by name (apt's `-t`/`pkg/suite`): a
 * dependency that only a backports version satisfies fails to resolve, as it does for apt.
 */
import type { Pocket } from '../recipe/types.js';

/** Where a package came from: the suite itself or one of its pockets. */
export type ArchivePocket = 'release' | Pocket;
export const ARCHIVE_POCKETS: readonly ArchivePocket[] = ['release', 'security', 'updates', 'backports'];

export interface Archive {
  pocket: ArchivePocket;
  /** The directory below dists/: `bookworm`, `bookworm-security`, ... */
  dist: string;
  mirror: string;
}

export interface Mirrors {
  debian: string;
  security: string;
}

/** The suite first, then its pockets in the order given (security, updates, backports). */
export function archivesOf(suite: string, pockets: readonly Pocket[], mirrors: Mirrors): Archive[] {
  return [
    { pocket: 'release', dist: suite, mirror: mirrors.debian },
    ...pockets.map((pocket) => ({
      pocket,
      dist: `${suite}-${pocket}`,
      mirror: pocket === 'security' ? mirrors.security : mirrors.debian,
    })),
  ];
}

/** One-line apt sources (`deb URI DIST main`), as mmdebstrap takes them and writes them into the root. */
export function aptSourceLines(archives: readonly Archive[]): string[] {
  return archives.map((a) => `deb ${a.mirror} ${a.dist} main`);
}

export function archiveOf(archives: readonly Archive[], pocket: ArchivePocket): Archive | undefined {
  return archives.find((a) => a.pocket === pocket);
}
