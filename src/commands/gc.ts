import { type CommandContext, emit } from '../core/context.js';
import { EXIT, usageError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import type { GcResult } from '../disk/gc-apply.js';
import { parseFlags, wantsHelp } from './args.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt gc [--dry-run] [--json]

Remove what nothing references, and say what it freed:
  blobs          no committed lock of the recipes dir (--recipes, JRT_RECIPES) pins
  artifacts      older than the keep_artifacts newest of each runtime
  base roots     of a suite no recipe builds on, or of another mirror than the host's
  temp trees     build directories whose build process is gone
  old versions   of installed runtimes: no name points at them and no running job uses them
  volume debris  what a 'jrt volume remove' that died had renamed aside to delete
  logs           build logs and rotated job records older than log_max_age, or the oldest past
                 log_max_size together; jobs.jsonl is rotated
                 aside (same format) once larger than jobs_rotate_size
Never removed: volumes and package caches (job data: 'jrt volume remove'), installed runtimes
('jrt runtime remove'), the current jobs.jsonl, anything a running build, install or job uses,
and any name jrt does not make. Retention is set in /etc/jrt/gc.conf (JRT_GC_CONFIG); see
docs/disk.md.

Flags:
  --dry-run   list what would go and why; change nothing
  --json      {dryRun, freed, removed: [{kind, path, bytes, reason}], rotated: [...], kept: [...],
               failed: [{..., error}]}

Examples:
  jrt gc --dry-run
  jrt --recipes ./recipes gc
  jrt gc --json | jq .freed

Exit status: 0 done, 1 something could not be removed (listed with its error; the rest was
done), 2 usage error.`;

function human(r: GcResult, fmt: (n: number) => string): string {
  const verb = r.dryRun ? 'would remove' : 'removed';
  const line = (i: { kind: string; path: string; bytes: number; reason: string }) =>
    `  ${i.kind.padEnd(11)} ${fmt(i.bytes).padStart(10)}  ${printable(i.path)}: ${printable(i.reason)}`;
  return [
    ...(r.removed.length > 0 ? [`jrt gc ${verb}:`, ...r.removed.map(line)] : []),
    ...(r.rotated.length > 0 ? [`${r.dryRun ? 'would rotate' : 'rotated'}:`, ...r.rotated.map(line)] : []),
    ...(r.failed.length > 0
      ? ['could not remove:', ...r.failed.map((f) => `${line(f)} (${printable(f.error)})`)]
      : []),
    `${r.dryRun ? 'would free' : 'freed'} ${fmt(r.freed)} (${r.removed.length} item(s)); kept ${r.kept.length}`,
  ].join('\n');
}

export const gcCommand: Command = {
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const { values, positionals } = parseFlags('gc', argv, { 'dry-run': { type: 'boolean' } });
    if (positionals.length > 0)
      throw usageError('ERR_JRT_BAD_FLAG', 'gc takes no arguments', "see 'jrt gc --help'");
    const { readGcSettings } = await import('../disk/settings.js');
    const { runGc } = await import('../disk/gc-apply.js');
    const { formatBytes } = await import('../core/disk.js');
    const settings = readGcSettings(ctx.env);
    const r = await runGc(ctx.paths, settings, {
      dryRun: values['dry-run'] === true,
      onWait: (pid) => ctx.stderr(`jrt: waiting for another jrt gc (pid ${pid})`),
    });
    emit(ctx, r, () => human(r, formatBytes));
    // Each failure is in the report (with its error); the rest was done.
    return r.failed.length > 0 ? EXIT.failure : EXIT.ok;
  },
};
