import type { CommandContext } from '../core/context.js';
import { EXIT, usageError } from '../core/errors.js';
import { printable, printableLines } from '../core/printable.js';
import { validateRecipeDir, validateRecipeFiles } from '../recipe/load.js';
import { formatRecipeError } from '../recipe/validate.js';
import { parseFlags, wantsHelp } from './args.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt recipe validate [FILE...]     (shortcut: jrt validate [FILE...])

Check recipes against the schema and the rules across fields, and print every error with its file,
line and column. With no FILE, every *.yml of the recipes directory (--recipes, JRT_RECIPES) is
checked as a set (names and aliases must be unique across it). Files given together are also
checked as a set.

Prints "FILE: ok" per valid recipe and one line per error on stderr:
  recipes/java-17.yml:12:5 build.steps[1].run: must be string

Flags:
  --json     {files: [{file, ok, errors: [{file, line, column, path, message}]}]} on stdout

Exit status: 0 all valid, 2 any error.

Examples:
  jrt validate recipes/java-17.yml
  jrt recipe validate
  jrt --recipes ./my-recipes validate --json`;

export const recipeCommand: Command = {
  help: HELP,
  async run(argv, ctx) {
    // `jrt validate --help` arrives here as ['validate', '--help'].
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const [sub, ...rest] = argv;
    if (sub !== 'validate')
      throw usageError(
        'ERR_JRT_BAD_SUBCOMMAND',
        sub === undefined ? 'jrt recipe: missing subcommand' : `jrt recipe: unknown subcommand '${sub}'`,
        "the subcommand is 'validate'; see 'jrt recipe --help'",
      );
    return validate(rest, ctx);
  },
};

async function validate(argv: string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parseFlags('recipe validate', argv, {});
  const results =
    positionals.length > 0
      ? // Files keep the spelling the user typed, so error lines match it.
        await validateRecipeFiles(positionals)
      : await validateRecipeDir(ctx.paths.recipes);
  if (positionals.length === 0 && results.length === 0)
    throw usageError(
      'ERR_JRT_NO_RECIPES',
      `no *.yml recipes in ${ctx.paths.recipes}`,
      'give FILE arguments or set --recipes DIR',
    );
  const failed = results.some((r) => r.errors.length > 0);
  if (ctx.json) {
    ctx.stdout(
      JSON.stringify(
        { files: results.map((r) => ({ file: r.file, ok: r.errors.length === 0, errors: r.errors })) },
        null,
        2,
      ),
    );
  } else {
    for (const r of results) {
      if (r.errors.length === 0) ctx.stderr(printable(`${r.file}: ok`));
      // A YAML error quotes the recipe's own text, control characters and all.
      for (const e of r.errors) ctx.stderr(printableLines(formatRecipeError(e)));
    }
  }
  return failed ? EXIT.usage : EXIT.ok;
}
