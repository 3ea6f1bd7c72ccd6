import { rm, rmdir } from 'node:fs/promises';
import { type CommandContext, emit } from '../core/context.js';
import { EXIT, failure, usageError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import type { ConfigRestore } from '../uninstall/configs.js';
import type { UninstallPlan } from '../uninstall/plan.js';
import { parseFlags, wantsHelp } from './args.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt uninstall (--dry-run | --yes) [--json]

Remove what jrt put on this host and leave it as it was before jrt: the runtimes jrt installed
(runtimes it did not install stay), its cache, state (job volumes included) and logs, and its keys
in Joblet's config — each gets back the value it had before jrt's first edit, or goes if it was not
there; a config file jrt created goes. Anything else found in jrt's directories is kept and named.

Refused while a job runs, an install holds its lock or a build runs; refused when something is
mounted below what it would remove, or when a JRT_* directory is a system directory.

Flags:
  --dry-run                list what would go and what stays; change nothing
  --yes, -y                do it (without --yes or --dry-run, jrt lists and stops)
  --json                   {dryRun, remove: [{path, what}], configs: [{file, action}], keep: [{path, why}]}

Not removed: jrt itself (its package directory) and the Debian packages it needs (bubblewrap,
mmdebstrap, slirp4netns); remove them with apt-get if nothing else needs them.

Examples:
  jrt uninstall --dry-run
  jrt uninstall --yes
  JRT_ROOT=/srv/runtimes jrt uninstall --yes --json

Exit status: 0 removed (or listed), 1 refused (busy, mounted) or failed, 2 usage error.`;

function describe(plan: UninstallPlan, configs: ConfigRestore[], done: boolean): string {
  const verb = done ? 'removed' : 'would remove';
  return [
    ...(plan.remove.length + configs.length === 0
      ? ['nothing of jrt is on this host']
      : [`jrt uninstall ${verb}:`]),
    ...plan.remove.map((r) => `  ${printable(r.path)}  (${printable(r.what)})`),
    ...configs
      .filter((c) => c.action !== 'unchanged')
      .map(
        (c) =>
          `  ${printable(c.file)}  (${c.action === 'remove' ? 'created by jrt' : "jrt's runtime keys, back to what they were"})`,
      ),
    ...(plan.keep.length > 0 || configs.some((c) => c.kept.length > 0) ? ['kept:'] : []),
    ...plan.keep.map((k) => `  ${printable(k.path)}: ${k.why}`),
    ...configs.flatMap((c) => c.kept.map((k) => `  ${printable(c.file)}: ${k}`)),
  ].join('\n');
}

export const uninstallCommand: Command = {
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const { values, positionals } = parseFlags(
      'uninstall',
      argv,
      { 'dry-run': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' } },
      false,
    );
    if (positionals.length > 0) throw usageError('ERR_JRT_BAD_FLAG', 'uninstall takes no arguments');
    const { gatherListing, stillRunning, unsafeDirs, mountPoints } = await import('../uninstall/gather.js');
    const { planUninstall } = await import('../uninstall/plan.js');
    const { planConfigs, applyConfig } = await import('../uninstall/configs.js');
    const unsafe = await unsafeDirs(ctx.paths);
    if (unsafe.length > 0)
      throw usageError(
        'ERR_JRT_UNINSTALL_UNSAFE_PATH',
        `jrt will not empty system directories: ${unsafe.join(', ')}`,
        'point JRT_ROOT, JRT_CACHE, JRT_STATE and JRT_LOG at the directories jrt uses',
      );
    const plan = planUninstall(await gatherListing(ctx.paths));
    const configs = await planConfigs(ctx.paths);
    const doc = (dryRun: boolean) => ({
      dryRun,
      remove: plan.remove,
      configs: configs.map((c) => ({ file: c.file, action: c.action, kept: c.kept })),
      keep: plan.keep,
    });
    const running = await stillRunning(ctx.paths);
    if (values['dry-run'] || !values.yes) {
      if (!values['dry-run']) {
        ctx.stderr(describe(plan, configs, false));
        throw usageError(
          'ERR_JRT_UNINSTALL_UNCONFIRMED',
          'jrt uninstall removes all of the above',
          'run it with --yes (or --dry-run to list only)',
        );
      }
      emit(ctx, { ...doc(true), running }, () =>
        [describe(plan, configs, false), ...running.map((r) => `refused while running: ${r}`)].join('\n'),
      );
      return EXIT.ok;
    }
    if (running.length > 0)
      throw failure('ERR_JRT_UNINSTALL_BUSY', `jrt is still in use: ${running.join('; ')}`, {
        hint: 'wait for them to end, then uninstall',
      });
    const mounts = mountPoints();
    const under = plan.remove.flatMap((r) =>
      mounts.filter((m) => m === r.path || m.startsWith(`${r.path}/`)),
    );
    if (under.length > 0)
      throw failure(
        'ERR_JRT_UNINSTALL_MOUNTED',
        `something is mounted where jrt would remove files: ${under.join(', ')}`,
        {
          hint: 'unmount it first; jrt never deletes through a mount',
        },
      );
    try {
      for (const c of configs) await applyConfig(c);
      for (const r of plan.remove) await rm(r.path, { recursive: true, force: true });
    } catch (e) {
      // A read-only filesystem, a file made immutable: the operator's to fix, not a bug.
      throw failure('ERR_JRT_UNINSTALL_IO', `jrt uninstall stopped: ${(e as Error).message}`, {
        hint: "fix that, then run 'jrt uninstall --yes' again: it goes on with what is left",
        cause: e,
      });
    }
    for (const d of plan.prune) await rmdir(d).catch(() => {});
    emit(ctx, doc(false), () => describe(plan, configs, true));
    return EXIT.ok;
  },
};
