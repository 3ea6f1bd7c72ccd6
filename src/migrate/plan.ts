/**
 * `jrt migrate plan`: the runtimes that replace what the host has, what is installed already, the
 * disk it takes, and the removal step as it will read once they are installed. Pure: sizes and
 * free space are measured by the caller (plan-sizes.ts).
 */
import type { DpkgDb } from '../builder/dpkg.js';
import type { MatchedInstall } from './analyze.js';
import { type RemovalStep, removalStep } from './removal.js';
import type { MatchKind } from './versions.js';

export interface RecipeSize {
  /** Unpacked size, when an artifact of this exact build is cached or the runtime is installed. */
  runtime_bytes?: number;
  /** Inputs of its lock not yet in the download cache; undefined without a lock. */
  download_bytes?: number;
}

export interface PlannedRuntime extends RecipeSize {
  recipe: string;
  state: 'installed' | 'to install';
  /** How it relates to each install it replaces (an older patch is worth a look). */
  matches: MatchKind[];
  replaces: string[];
}

/** A filesystem and its free bytes. */
export interface Space {
  path: string;
  free: number;
}

export interface MigrationPlan {
  install: PlannedRuntime[];
  /** Installs no recipe replaces, with the draft offered for them. */
  drafts: string[];
  disk: {
    /** Known unpacked bytes of what is still to install. */
    runtime_bytes: number;
    download_bytes: number;
    /** Recipes to install whose size is known only after their build. */
    unknown: string[];
    root: Space;
    cache: Space;
  };
  /** As it will read once the plan is applied. */
  removal: RemovalStep;
}

export function planMigration(
  installs: readonly MatchedInstall[],
  installed: ReadonlySet<string>,
  sizes: ReadonlyMap<string, RecipeSize>,
  free: { root: Space; cache: Space },
  neededByJobs: ReadonlyMap<string, string[]>,
  db: DpkgDb | undefined,
): MigrationPlan {
  const byRecipe = new Map<string, PlannedRuntime>();
  const drafts: string[] = [];
  for (const i of installs) {
    const recipe = i.match.recipe;
    if (recipe === undefined) {
      const draft = i.draft && 'name' in i.draft ? `draft ${i.draft.name}` : 'no draft';
      drafts.push(`${i.language} ${i.version} (${i.where}): ${draft}`);
      continue;
    }
    const p = byRecipe.get(recipe) ?? {
      recipe,
      state: installed.has(recipe) ? 'installed' : 'to install',
      matches: [],
      replaces: [],
      ...sizes.get(recipe),
    };
    if (!p.matches.includes(i.match.kind)) p.matches.push(i.match.kind);
    p.replaces.push(i.where);
    byRecipe.set(recipe, p);
  }
  const install = [...byRecipe.values()].sort((a, b) => a.recipe.localeCompare(b.recipe));
  const todo = install.filter((p) => p.state === 'to install');
  return {
    install,
    drafts,
    disk: {
      runtime_bytes: todo.reduce((n, p) => n + (p.runtime_bytes ?? 0), 0),
      download_bytes: todo.reduce(
        (n, p) => n + (p.runtime_bytes === undefined ? (p.download_bytes ?? 0) : 0),
        0,
      ),
      unknown: todo.filter((p) => p.runtime_bytes === undefined).map((p) => p.recipe),
      ...free,
    },
    removal: removalStep(installs, new Set(install.map((p) => p.recipe)), neededByJobs, db),
  };
}
