import { type CommandContext, emit } from '../core/context.js';
import { EXIT, usageError } from '../core/errors.js';
import type { Analysis } from '../migrate/analyze.js';
import { parseFlags, wantsHelp } from './args.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt migrate <scan|plan|apply|jobs> [flags]

Move a host from language runtimes installed on it to jrt runtimes, one step at a time. Jobs
without a runtime keep using the host (legacy mode) until their workflow names one.

  scan                     every runtime on the host — Debian packages and their alternatives,
                           /usr/local, /opt, /usr/lib/jvm, pyenv, nvm, sdkman, rustup and goenv
                           trees in /root and /home/*, and what PATH runs for python3, java, node,
                           go — with its version, where it lives and the recipe that matches it
                           (exact, newer-patch, same-series, older-patch or none, with a draft)
  plan                     the runtimes that replace them, the disk they need, and the host
                           packages that could go once they are installed
  apply                    install them (as 'jrt install NAME...' would)
  jobs FILE...             add 'runtime:' to the jobs of Joblet workflow files whose command is a
                           host interpreter an installed runtime replaces; every other byte stays

Flags:
  --host-root DIR          read another root instead of / (a mounted disk, a test fixture)
  --write-drafts DIR       scan: write the recipe drafts for installs no recipe matches
  --jobs FILE              plan, apply: workflow files whose jobs still need the host (repeatable)
  --dry-run                apply: show the plan; jobs: print the diff and change nothing
  --force, --offline, --locked   apply: as for 'jrt install'
  --json                   machine output on stdout

The last step is printed, never run: the apt-get remove (or the version manager's uninstall) of
what no job needs any more, with the packages that still depend on it.

Examples:
  jrt migrate scan
  jrt migrate scan --json --write-drafts ./drafts
  jrt migrate plan --jobs pipeline.yaml
  jrt migrate apply
  jrt migrate jobs --dry-run pipeline.yaml ml/*.yaml
  jrt migrate jobs pipeline.yaml

Exit status: 0 ok, 1 an install failed, 2 usage error.`;

const FLAGS = {
  'host-root': { type: 'string' },
  'write-drafts': { type: 'string' },
  jobs: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean', short: 'f' },
  offline: { type: 'boolean' },
  locked: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

async function analyze(ctx: CommandContext, values: Values): Promise<Analysis> {
  const { analyzeHost } = await import('../migrate/analyze.js');
  return analyzeHost(values['host-root'] ?? '/', ctx.paths.recipes, ctx.env.PATH ?? '');
}

async function scan(ctx: CommandContext, values: Values): Promise<number> {
  const a = await analyze(ctx, values);
  const { scanText } = await import('./migrate-view.js');
  const written = values['write-drafts']
    ? await (await import('./migrate-edit.js')).writeDrafts(values['write-drafts'], a.installs)
    : [];
  for (const f of written) ctx.stderr(`wrote ${f}`);
  emit(ctx, { host: a.scan.root, installs: a.installs, path: a.scan.path, notes: a.scan.notes }, () =>
    scanText(a.installs, a.scan.path, a.scan.notes),
  );
  return EXIT.ok;
}

async function plan(ctx: CommandContext, values: Values) {
  const a = await analyze(ctx, values);
  const { installedNames, recipeSizes, spaces } = await import('../migrate/measure.js');
  const { planMigration } = await import('../migrate/plan.js');
  const { jobsStillOnHost } = await import('./migrate-edit.js');
  const installed = await installedNames(ctx.paths.root);
  const names = [...new Set(a.installs.flatMap((i) => (i.match.recipe ? [i.match.recipe] : [])))];
  const needed = await jobsStillOnHost(values.jobs ?? [], a);
  const p = planMigration(
    a.installs,
    installed,
    await recipeSizes(a.offers, names, ctx.paths, ctx.env),
    await spaces(ctx.paths),
    needed,
    a.scan.dpkg,
  );
  return { a, plan: p, needed };
}

export const migrateCommand: Command = {
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const [sub, ...rest] = argv;
    const { values, positionals } = parseFlags(`migrate ${sub ?? ''}`.trim(), rest, FLAGS);
    const { planText } = await import('./migrate-view.js');
    switch (sub) {
      case 'scan':
        return scan(ctx, values);
      case 'plan': {
        const { plan: p } = await plan(ctx, values);
        emit(ctx, p, () => planText(p));
        return EXIT.ok;
      }
      case 'apply': {
        const planned = await plan(ctx, values);
        if (values['dry-run']) {
          emit(ctx, { dryRun: true, ...planned.plan }, () => planText(planned.plan));
          return EXIT.ok;
        }
        const { applyPlan } = await import('./migrate-edit.js');
        return applyPlan(ctx, values, planned);
      }
      case 'jobs': {
        if (positionals.length === 0)
          throw usageError(
            'ERR_JRT_BAD_FLAG',
            'migrate jobs: name the workflow files',
            'jrt migrate jobs pipeline.yaml',
          );
        const a = await analyze(ctx, values);
        const { migrateJobs } = await import('./migrate-edit.js');
        return migrateJobs(ctx, positionals, a, values['dry-run'] === true);
      }
      default:
        throw usageError(
          'ERR_JRT_BAD_SUBCOMMAND',
          sub ? `unknown subcommand 'migrate ${sub}'` : 'migrate: say what to do',
          'jrt migrate scan | plan | apply | jobs FILE...',
        );
    }
  },
};

export type PlannedMigration = Awaited<ReturnType<typeof plan>>;
export type MigrateValues = Values;
