import { wantsHelp } from '../commands/args.js';
import { type CommandContext, emit } from '../core/context.js';
import { EXIT } from '../core/errors.js';
import { formatMs } from '../core/progress.js';
import { openProgress } from './progress-view.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt install [flags] (--all | --<language>-all | NAME... | ./NAME-VERSION.jrt.tar.gz...)

Build runtimes from their recipes (or take prebuilt artifacts) and install them atomically under
the runtimes root as <root>/<language>/<name>. A runtime is switched in one rename(): a crash at
any moment leaves the previous runtime working. Installing identical contents again is a no-op.
Afterwards Joblet's config gets runtime.enabled/base_path (nothing else in it changes).

Selection:
  --all                    every recipe in the recipes directory
  --<language>-all         every recipe of a language (--python-all, --java-all, --node-all)
  NAME | --NAME            a recipe by name or alias (deploy_runtimes.sh spelling: --python-3.11-ml)
  FILE.jrt.tar.gz          a prebuilt artifact (from 'jrt build')

Flags:
  --dry-run                print the plan, change nothing
  --force, -f              reinstall even when the same contents are installed
  --offline                build from the cache only (no network)
  --locked                 fail if a recipe's lock is missing or out of date
  --json                   {runtimes: [{name, result, ms, size, error?}]} on stdout

Examples:
  jrt install --all
  jrt install python-3.11-ml node-18
  jrt install --java-all --dry-run
  jrt install ./java-17-17.0.12.jrt.tar.gz --json
  JRT_ROOT=/tmp/rt jrt install ./node-18-18.20.8.jrt.tar.gz

Exit status: 0 all installed or unchanged, 1 any runtime failed, 2 usage error.`;

export const installCommand: Command = {
  summary: 'build or take artifacts and install them atomically',
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const { parseInstallArgs, selectTargets } = await import('../installer/select.js');
    const { listRecipes } = await import('../recipe/load.js');
    const { installTargets } = await import('../installer/install.js');
    const { cleanDebris } = await import('../installer/place.js');
    const { checkWritableRoot, formatBytes } = await import('../installer/precheck.js');
    const { defaultBuildRuntime } = await import('../installer/builder.js');
    const { updateJobletConfig, jobletServicePresent } = await import('../installer/joblet-config.js');

    const req = parseInstallArgs(argv);
    const needRecipes = req.all || req.languages.length > 0 || req.names.length > 0;
    const recipes = needRecipes
      ? (await listRecipes(ctx.paths.recipes)).map((r) => ({
          name: r.recipe.name,
          language: r.recipe.language,
          aliases: r.recipe.aliases,
          file: r.file,
        }))
      : [];
    const targets = selectTargets(req, recipes);

    if (req.dryRun) {
      const plan = targets.map((t) =>
        t.kind === 'recipe'
          ? {
              name: t.name,
              action: 'build and install',
              source: t.file,
              into: `${ctx.paths.root}/${t.language}/${t.name}`,
            }
          : {
              name: t.file,
              action: 'install artifact',
              source: t.file,
              into: `${ctx.paths.root}/<language>/<name>`,
            },
      );
      emit(ctx, { dryRun: true, root: ctx.paths.root, plan }, () =>
        [
          `would install into ${ctx.paths.root}:`,
          ...plan.map((x) => `  ${x.name}: ${x.action} (${x.source})`),
        ].join('\n'),
      );
      return EXIT.ok;
    }

    await checkWritableRoot(ctx.paths.root);
    await cleanDebris(ctx.paths.root, ctx.paths.state);
    const progress = await openProgress(ctx);
    const outcomes = await installTargets(targets, {
      paths: ctx.paths,
      env: ctx.env,
      force: req.force,
      offline: req.offline,
      locked: req.locked,
      onProgress: progress.onProgress,
      build: defaultBuildRuntime,
      note: ctx.stderr,
    }).finally(() => progress.close());

    if (outcomes.some((o) => o.result !== 'failed')) {
      const updates = await updateJobletConfig(ctx.paths.jobletConfig, ctx.paths.root);
      for (const u of updates.filter((x) => x.changed))
        ctx.stderr(`updated ${u.file}: runtime.base_path = ${ctx.paths.root}`);
      if (outcomes.some((o) => o.result === 'installed') && (await jobletServicePresent()))
        ctx.stderr('restart Joblet to pick up the runtimes: systemctl restart joblet');
    }
    for (const o of outcomes.filter((x) => x.result === 'failed'))
      ctx.stderr(`jrt: ${o.name}: ${o.error}${o.hint ? `\nhint: ${o.hint}` : ''}`);

    const runtimes = outcomes.map((o) => ({
      name: o.name,
      result: o.result,
      ms: Math.round(o.ms),
      size: o.size,
      ...(o.error ? { error: o.error, code: o.code } : {}),
    }));
    emit(ctx, { runtimes }, () => {
      const rows = [
        ['NAME', 'RESULT', 'TIME', 'SIZE'],
        ...outcomes.map((o) => [
          o.name,
          o.result,
          formatMs(o.ms),
          o.result === 'failed' ? '-' : formatBytes(o.size),
        ]),
      ];
      const w = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
      return rows
        .map((r) =>
          r
            .map((c, i) => c.padEnd(w[i] ?? 0))
            .join('  ')
            .trimEnd(),
        )
        .join('\n');
    });
    return outcomes.some((o) => o.result === 'failed') ? EXIT.failure : EXIT.ok;
  },
};
