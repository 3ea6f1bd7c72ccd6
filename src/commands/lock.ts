import { lockRecipe } from '../builder/build.js';
import { emit } from '../core/context.js';
import { usageError } from '../core/errors.js';
import { parseFlags } from './args.js';
import { progressFor } from './progress-view.js';
import { recipeFileFor } from './recipe-arg.js';
import type { Command } from './types.js';

export const lockCommand: Command = {
  help: `Usage: jrt lock RECIPE... [--update]

Resolve every input of the recipe — the Debian base root and packages (exact versions, sha256 and
pocket from the signed indexes of its suite and pockets: security, updates, backports), npm packages
(integrity) and URLs (sha256) — and write NAME.lock.json next to it. 'jrt outdated' lists what has
moved on since. Commit the lock: 'jrt build --locked' then refuses any drift.

Flags:
  --update   resolve again even if the lock matches the recipe (take today's mirror)
  --json     print {locks:[{name, lock, changed}]} on stdout

Examples:
  jrt lock recipes/java-17.yml
  jrt lock --update python-3.11-ml`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags('lock', argv, { update: { type: 'boolean' } });
    if (positionals.length === 0)
      throw usageError('ERR_JRT_BAD_FLAG', 'lock: name at least one recipe', "see 'jrt lock --help'");
    const results: { name: string; lock: string; changed: boolean; packages: number; sources: number }[] = [];
    for (const arg of positionals) {
      const r = await lockRecipe({
        recipeFile: await recipeFileFor(arg, ctx.paths),
        paths: ctx.paths,
        update: values.update,
        onProgress: progressFor(ctx),
      });
      results.push({
        name: r.name,
        lock: r.lockFile,
        changed: r.changed,
        packages: r.lock.packages.length,
        sources: r.lock.sources.length,
      });
    }
    emit(ctx, { locks: results }, () =>
      results
        .map(
          (r) =>
            `${r.name}: ${r.lock} ${r.changed ? 'written' : 'up to date'} (${r.packages} packages, ${r.sources} sources)`,
        )
        .join('\n'),
    );
    return 0;
  },
};
