/**
 * Which recipe replaces a host install. A recipe offers one series of one language (its `version`)
 * and, where its lock or sources say so, an exact version: the Debian interpreter package it
 * locked, the npm `node-linux-*` version, the version in a source tarball's name. Pure.
 */
import type { Lock } from '../builder/lock.js';
import type { Recipe } from '../recipe/types.js';
import { LANGUAGES, type Language, RULES, seriesOf } from './languages.js';
import type { HostInstall } from './types.js';
import { cleanVersion, compareVersions, type MatchKind, matchKind, upstreamOfDebian } from './versions.js';

export interface RecipeOffer {
  name: string;
  language: Language;
  series: string;
  /** The exact version it installs when known, else its series. */
  version: string;
  tags: string[];
  file: string;
}

function isLanguage(s: string): s is Language {
  return (LANGUAGES as readonly string[]).includes(s);
}

/** What a recipe installs, from its lock (Debian packages, npm) or its sources' names. */
export function recipeOffer(recipe: Recipe, lock: Lock | undefined, file: string): RecipeOffer | undefined {
  if (!isLanguage(recipe.language)) return undefined;
  const language = recipe.language;
  const series = seriesOf(language, recipe.version);
  const candidates: (string | undefined)[] = [
    ...(lock?.packages ?? [])
      .filter((p) => RULES[language].debianMain(p.package) !== undefined)
      .map((p) => upstreamOfDebian(p.version)),
    ...recipe.sources.map((s) =>
      s.kind === 'npm'
        ? /^node-linux-/.test(s.package)
          ? cleanVersion(s.version)
          : undefined
        : cleanVersion(
            /[0-9]+\.[0-9]+\.[0-9]+/.exec((s.kind === 'url' ? s.url : s.path).split('/').at(-1) ?? '')?.[0],
          ),
    ),
    recipe.version,
  ];
  const version =
    candidates
      .filter((v): v is string => v !== undefined && seriesOf(language, v) === series)
      .sort((a, b) => b.split('.').length - a.split('.').length || compareVersions(b, a))[0] ??
    recipe.version;
  return { name: recipe.name, language, series, version, tags: recipe.tags, file };
}

export interface RecipeMatch {
  kind: MatchKind;
  /** The best recipe, unless kind is 'none'. */
  recipe?: string;
  recipe_version?: string;
  /** Every recipe of the same series, best first. */
  candidates: string[];
}

const RANK: Record<MatchKind, number> = {
  exact: 0,
  'newer-patch': 1,
  'same-series': 2,
  'older-patch': 3,
  none: 4,
};

/**
 * The recipe for an install: same language and series; an exact version before a newer patch
 * before one whose patch is unknown before an older patch; then the one with fewest tags (a plain
 * interpreter before `+ml`), then by name.
 */
export function matchInstall(install: HostInstall, offers: readonly RecipeOffer[]): RecipeMatch {
  const series = seriesOf(install.language, install.version);
  const ranked = offers
    .filter((o) => o.language === install.language && o.series === series)
    .map((o) => ({ o, kind: matchKind(install.version, o.version, RULES[install.language].seriesParts) }))
    .sort(
      (a, b) =>
        RANK[a.kind] - RANK[b.kind] || a.o.tags.length - b.o.tags.length || a.o.name.localeCompare(b.o.name),
    );
  const best = ranked[0];
  if (!best) return { kind: 'none', candidates: [] };
  return {
    kind: best.kind,
    recipe: best.o.name,
    recipe_version: best.o.version,
    candidates: ranked.map((r) => r.o.name),
  };
}
