/**
 * The edge every `jrt migrate` subcommand starts from: scan the host, read the recipe set with its
 * locks, and match each install to a recipe (or draft one). The scanning and matching are the
 * modules' own; this only wires them to the disk.
 */
import { readRecipeLock } from '../builder/lock.js';
import { listRecipes } from '../recipe/load.js';
import { type Draft, draftRecipe } from './draft.js';
import { hostView } from './host-view.js';
import { seriesOf } from './languages.js';
import { matchInstall, type RecipeMatch, type RecipeOffer, recipeOffer } from './match.js';
import { type HostScan, scanHost } from './scan.js';
import type { HostInstall } from './types.js';

export interface MatchedInstall extends HostInstall {
  match: RecipeMatch;
  /** For kind 'none'. */
  draft?: Draft;
}

export interface Analysis {
  scan: HostScan;
  offers: RecipeOffer[];
  installs: MatchedInstall[];
}

export async function recipeOffers(recipesDir: string): Promise<RecipeOffer[]> {
  const out: RecipeOffer[] = [];
  for (const r of await listRecipes(recipesDir)) {
    // A missing or unreadable lock only means the exact version is not known.
    const lock = (await readRecipeLock(r.file, r.recipe.name).catch(() => undefined))?.lock;
    const offer = recipeOffer(r.recipe, lock, r.file);
    if (offer) out.push(offer);
  }
  return out;
}

export async function analyzeHost(
  hostRoot: string,
  recipesDir: string,
  searchPath: string,
): Promise<Analysis> {
  const [scan, offers] = await Promise.all([
    scanHost(hostView(hostRoot), searchPath),
    recipeOffers(recipesDir),
  ]);
  const matched = scan.installs.map((i): MatchedInstall => ({ ...i, match: matchInstall(i, offers) }));
  // One draft per language series — two homes with pyenv's 3.10.13 need one recipe — made from
  // whichever install of the series has a real source (a /usr/local 3.10 has none, pyenv's has).
  const taken = new Set(offers.map((o) => o.name));
  const series = new Map<string, MatchedInstall[]>();
  for (const i of matched.filter((m) => m.match.kind === 'none')) {
    const key = `${i.language} ${seriesOf(i.language, i.version)}`;
    series.set(key, [...(series.get(key) ?? []), i]);
  }
  for (const group of series.values()) {
    const tries = group.map((i) => draftRecipe(i, taken));
    const draft = tries.find((d): d is Extract<Draft, { name: string }> => 'name' in d);
    if (draft) taken.add(draft.name);
    group.forEach((i, k) => {
      i.draft = draft ?? tries[k];
    });
  }
  const installs = matched;
  return { scan, offers, installs };
}
