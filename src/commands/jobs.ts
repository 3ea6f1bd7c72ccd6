import { type CommandContext, emit } from '../core/context.js';
import { EXIT, usageError } from '../core/errors.js';
import { parseFlags, wantsHelp } from './args.js';
import { table } from './table.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt jobs [--runtime NAME] [--status S] [--since WHEN] [--limit N] [--json]

Recent finished jobs from their records (JRT_LOG/jobs.jsonl and its rotated parts), oldest first:
START RUNTIME STATUS REASON DURATION ID COMMAND.

Flags:
  --runtime NAME   only jobs of this runtime ('host' for legacy mode)
  --status S       ok (exit 0), failed (any other), or a reason: exit, oom, timeout, pids, signal, error
  --since WHEN     a duration back from now (30m, 6h, 7d) or a date (2026-12-01, an ISO time)
  --limit N        the newest N that pass the filters (default 50)
  --json           the records as jrt wrote them, in an array

Examples:
  jrt jobs
  jrt jobs --runtime java-17 --status failed --since 1d
  jrt jobs --status oom --json

Exit status: 0 ok, 2 a bad flag.`;

export const jobsCommand: Command = {
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const { values, positionals } = parseFlags('jobs', argv, {
      runtime: { type: 'string' },
      status: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
    });
    if (positionals.length > 0)
      throw usageError('ERR_JRT_BAD_FLAG', 'jobs takes no arguments', "see 'jrt jobs --help'");
    const { readJobRecords, filterJobRecords, parseSince, STATUS_FILTERS } = await import(
      '../runner/job-log.js'
    );
    const status = values.status;
    if (status !== undefined && !(STATUS_FILTERS as readonly string[]).includes(status))
      throw usageError(
        'ERR_JRT_BAD_FLAG',
        `--status: '${status.slice(0, 20)}' is not one of ${STATUS_FILTERS.join(', ')}`,
      );
    const sinceMs = values.since === undefined ? undefined : parseSince(values.since, Date.now());
    if (values.since !== undefined && sinceMs === undefined)
      throw usageError(
        'ERR_JRT_BAD_FLAG',
        `--since: '${values.since.slice(0, 40)}' is neither a duration nor a date`,
        'e.g. --since 6h, --since 2026-12-01',
      );
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw usageError('ERR_JRT_BAD_FLAG', `--limit: '${values.limit}' is not a whole number above 0`);
    const records = filterJobRecords(await readJobRecords(ctx.paths.log, sinceMs), {
      ...(values.runtime !== undefined ? { runtime: values.runtime } : {}),
      ...(status !== undefined ? { status: status as (typeof STATUS_FILTERS)[number] } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      limit,
    });
    // Runtimes, argv and ids are printed through table(), which makes every cell printable.
    emit(ctx, records, () =>
      records.length === 0
        ? 'no job records match'
        : table([
            ['START', 'RUNTIME', 'STATUS', 'REASON', 'DURATION', 'ID', 'COMMAND'],
            ...records.map((r) => [
              r.start.replace(/\.\d+Z$/, 'Z'),
              r.runtime,
              String(r.exitStatus),
              r.reason,
              `${(r.durationMs / 1000).toFixed(1)}s`,
              r.id,
              (Array.isArray(r.argv) ? r.argv.join(' ') : '').slice(0, 80),
            ]),
          ]),
    );
    return EXIT.ok;
  },
};
