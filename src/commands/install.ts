import { wantsHelp } from '../commands/args.js';
import { type CommandContext, emit } from '../core/context.js';
import { EXIT, failure, isJrtError } from '../core/errors.js';
import { printable, printableLines } from '../core/printable.js';
import { formatMs } from '../core/progress.js';
import type { InstallOutcome } from '../installer/install.js';
import type { InstallTarget } from '../installer/select.js';
import { openProgress } from './progress-view.js';
import { table } from './table.js';
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

A runtime whose inputs are neither cached nor reachable from this host is skipped by --all and\n--<language>-all (reported, exit 0 if the rest installs) and stops an install that names it.\n\nWhen the runtimes root's or the cache's filesystem has less than min_free free (/etc/jrt/gc.conf,\ndefault 10%), a 'jrt gc' pass runs first and says what it freed (docs/disk.md).\n\nExit status: 0 all installed, unchanged or skipped, 1 any runtime failed, 2 usage error.`;

/**
 * Inputs that are neither cached nor reachable: with --all or --LANG-all such a runtime is skipped
 * (this host cannot build it; the others still install), a runtime named explicitly stops the
 * install before anything changes.
 */
async function checkReachable(targets: InstallTarget[], group: boolean, ctx: CommandContext) {
  const { unreachableInputs, originProber } = await import('../installer/reachable.js');
  const { loadRecipe } = await import('../recipe/load.js');
  const reachable = originProber();
  const buildable: InstallTarget[] = [];
  const skipped: InstallOutcome[] = [];
  for (const t of targets) {
    const missing =
      t.kind === 'recipe'
        ? await unreachableInputs((await loadRecipe(t.file)).recipe, ctx.paths.cache, reachable, ctx.env)
        : [];
    if (missing.length === 0) buildable.push(t);
    else if (group && t.kind === 'recipe') {
      skipped.push({
        name: t.name,
        result: 'skipped',
        ms: 0,
        size: 0,
        code: 'ERR_JRT_SOURCE_UNREACHABLE',
        error: `cannot reach ${missing.join(', ')} (not in the cache)`,
      });
    } else {
      throw failure(
        'ERR_JRT_SOURCE_UNREACHABLE',
        `${t.kind === 'recipe' ? t.name : t.file}: cannot reach ${missing.join(', ')}, and it is not in the cache`,
        {
          hint: 'build it where the source is reachable and install the artifact: jrt install ./NAME-VERSION.jrt.tar.gz',
        },
      );
    }
  }
  return { buildable, skipped };
}

export const installCommand: Command = {
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const { parseInstallArgs, selectTargets } = await import('../installer/select.js');
    const { listRecipes } = await import('../recipe/load.js');
    const { installTargets, healSpecEntries } = await import('../installer/install.js');
    const { cleanDebris } = await import('../installer/place.js');
    const { gcIfLow } = await import('../disk/gc-apply.js');
    const { readGcSettings } = await import('../disk/settings.js');
    const { checkWritableRoot } = await import('../installer/precheck.js');
    const { formatBytes } = await import('../core/disk.js');
    const { defaultBuildRuntime } = await import('../installer/builder.js');
    const { updateJobletConfig, jobletServicePresent } = await import('../installer/joblet-config.js');
    const { jobletClashes, clashWarning } = await import('../joblet/compare.js');
    const { scanAsJoblet } = await import('../joblet/scan.js');

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
    const { buildable, skipped } = req.offline
      ? { buildable: targets, skipped: [] }
      : await checkReachable(targets, req.all || req.languages.length > 0, ctx);
    await cleanDebris(ctx.paths.root, ctx.paths.state);
    await healSpecEntries(ctx.paths, ctx.stderr);
    // An artifact named here may sit in the cache, older than its runtime's newest: it stays.
    const named = buildable.flatMap((t) => (t.kind === 'artifact' ? [t.file] : []));
    await gcIfLow(ctx.paths, readGcSettings(ctx.env), ctx.stderr, named);
    const progress = await openProgress(ctx);
    const installed = await installTargets(buildable, {
      paths: ctx.paths,
      env: ctx.env,
      force: req.force,
      offline: req.offline,
      locked: req.locked,
      onProgress: progress.onProgress,
      build: defaultBuildRuntime,
      note: ctx.stderr,
    }).finally(() => progress.close());
    const outcomes = [...installed, ...skipped];

    // The runtimes are in place whatever happens to the config: its failure is reported after the table.
    const config = outcomes.some((o) => o.result !== 'failed')
      ? await updateJobletConfig(ctx.paths.jobletConfig, ctx.paths.root, ctx.paths.state).then(
          (updates) => ({ updates }),
          (e: unknown) => ({ error: asReported(e) }),
        )
      : undefined;
    for (const u of config && 'updates' in config ? config.updates.filter((x) => x.changed) : [])
      ctx.stderr(`updated ${u.file}: runtime.base_path = ${ctx.paths.root}`);
    if (
      config &&
      'updates' in config &&
      outcomes.some((o) => o.result === 'installed') &&
      (await jobletServicePresent())
    )
      ctx.stderr('restart Joblet to pick up the runtimes: systemctl restart joblet');
    // Joblet has no tags: two runtimes with one language and version are one to it (docs/joblet.md).
    const clashes = outcomes.some((o) => o.result !== 'failed')
      ? jobletClashes(scanAsJoblet(ctx.paths.root))
      : [];
    for (const c of clashes) ctx.stderr(printable(`jrt: warning: ${clashWarning(c)}`));
    for (const o of skipped) ctx.stderr(printableLines(`jrt: ${o.name}: skipped: ${o.error}`));
    for (const o of outcomes.filter((x) => x.result === 'failed'))
      ctx.stderr(printableLines(`jrt: ${o.name}: ${o.error}${o.hint ? `\nhint: ${o.hint}` : ''}`));

    const runtimes = outcomes.map((o) => ({
      name: o.name,
      result: o.result,
      ms: Math.round(o.ms),
      size: o.size,
      ...(o.error ? { error: o.error, code: o.code } : {}),
    }));
    const configError = config && 'error' in config ? config.error : undefined;
    const jobletClash = clashes.map((c) => ({ ...c, message: clashWarning(c) }));
    emit(
      ctx,
      {
        runtimes,
        joblet_clashes: jobletClash,
        ...(configError ? { joblet_config: { error: configError } } : {}),
      },
      () => {
        return table([
          ['NAME', 'RESULT', 'TIME', 'SIZE'],
          ...outcomes.map((o) => [
            o.name,
            o.result,
            formatMs(o.ms),
            o.result === 'failed' || o.result === 'skipped' ? '-' : formatBytes(o.size),
          ]),
        ]);
      },
    );
    if (configError)
      ctx.stderr(
        printableLines(`jrt: ${configError.message}${configError.hint ? `\nhint: ${configError.hint}` : ''}`),
      );
    return outcomes.some((o) => o.result === 'failed') || configError ? EXIT.failure : EXIT.ok;
  },
};

/** A JrtError as the JSON output reports it; anything else is a bug and is rethrown. */
function asReported(e: unknown): { code: string; message: string; hint?: string } {
  if (!isJrtError(e)) throw e;
  return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
}
