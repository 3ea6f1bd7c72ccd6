import { archivesOf } from '../builder/archives.js';
import { DEFAULT_KEYRING } from '../builder/debian-index.js';
import { readRecipeLock } from '../builder/lock.js';
import { checkOutdated, type OutdatedPackage } from '../builder/outdated.js';
import { emit } from '../core/context.js';
import { hostDebianMirror, hostDebianSecurityMirror } from '../core/host-sources.js';
import { printable } from '../core/printable.js';
import { listRecipes, loadRecipe } from '../recipe/load.js';
import { parseFlags } from './args.js';
import { recipeFileFor } from './recipe-arg.js';
import type { Command } from './types.js';

/** Exit status when some locked package has a newer version (0: none has; 1, 2 as everywhere). */
export const EXIT_OUTDATED = 3;

interface RecipeReport {
  name: string;
  lock: string | null;
  suite: string;
  pockets: string[];
  indexes: { dist: string; date: string }[];
  packages: OutdatedPackage[];
}

export const outdatedCommand: Command = {
  help: `Usage: jrt outdated [RECIPE...] [--json]

For each recipe (all of the recipes directory when none is named), read its lock and today's signed
indexes of its suite and pockets (verified as a build verifies them), and list every locked Debian
package — of the base root and of the build — that has a newer version there: security fixes
first, then by name. Backports count only for a package the lock already takes from backports.
A recipe without a lock is listed as such. Nothing is written but the index cache.

Flags:
  --json   {recipes:[{name, lock, suite, pockets, indexes:[{dist, date}], packages:[{package,
           architecture, part, locked, locked_pocket, available, pocket, security}]}]} on stdout

Exit status: 0 nothing newer, 3 some locked package has a newer version ('jrt lock --update' takes
them), 1 an index could not be fetched or verified, 2 bad arguments or recipe.

Examples:
  jrt outdated
  jrt outdated java-17 node-18 --json`,
  async run(argv, ctx) {
    const { positionals } = parseFlags('outdated', argv, {});
    const files =
      positionals.length > 0
        ? await Promise.all(positionals.map((a) => recipeFileFor(a, ctx.paths)))
        : (await listRecipes(ctx.paths.recipes)).map((r) => r.file);
    const mirrors = { debian: await hostDebianMirror(), security: await hostDebianSecurityMirror() };
    const reports: RecipeReport[] = [];
    for (const file of files) {
      const { recipe } = await loadRecipe(file);
      const { lock, file: lockFile } = await readRecipeLock(file, recipe.name, (m) =>
        ctx.stderr(`jrt: ${m}`),
      );
      const base = { name: recipe.name, suite: recipe.base, pockets: recipe.pockets };
      if (!lock) {
        reports.push({ ...base, lock: null, indexes: [], packages: [] });
        continue;
      }
      const archives = archivesOf(recipe.base, recipe.pockets, mirrors);
      const settings = {
        cacheDir: ctx.paths.cache,
        architecture: lock.architecture,
        offline: false,
        keyring: process.env.JRT_DEBIAN_KEYRING || DEFAULT_KEYRING,
      };
      reports.push({ ...base, lock: lockFile, ...(await checkOutdated(settings, archives, lock)) });
    }
    emit(ctx, { recipes: reports }, () => reports.map(describe).join('\n'));
    return reports.some((r) => r.packages.length > 0) ? EXIT_OUTDATED : 0;
  },
};

function describe(r: RecipeReport): string {
  if (r.lock === null) return `${r.name}: no lock (run 'jrt lock ${r.name}')`;
  const from = [r.suite, ...r.pockets.map((p) => `${r.suite}-${p}`)].join(', ');
  if (r.packages.length === 0) return `${r.name}: up to date with ${from}`;
  const security = r.packages.filter((p) => p.security).length;
  const lines = r.packages.map(
    (p) =>
      `  ${p.security ? 'security ' : '         '}${printable(p.package)} ${printable(p.locked)} → ${printable(p.available)} (${p.pocket}${p.part === 'base' ? ', base root' : ''})`,
  );
  return [
    `${r.name}: ${r.packages.length} newer in ${from}${security > 0 ? `, ${security} security fixes` : ''}`,
    ...lines,
  ].join('\n');
}
