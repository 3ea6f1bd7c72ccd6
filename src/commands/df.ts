import { type CommandContext, emit } from '../core/context.js';
import { EXIT, usageError } from '../core/errors.js';
import type { DfReport } from '../disk/df.js';
import { parseFlags, wantsHelp } from './args.js';
import { table } from './table.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt df [--json]

What jrt keeps on this host and where: installed runtimes (each with the bytes only it has and the
bytes hard-linked with other runtimes), the cache (artifacts, blobs, base roots, build temp trees),
the state (volumes, package caches, records), logs, and the free space of every filesystem they
live on. Sizes are what 'du -sB1' says (allocated blocks, each hard-linked file once); symlinks are
never followed and no other filesystem mounted below is entered.

Flags:
  --json   {runtimes: {path, bytes, items: [{name, language, bytes, unique, shared, versions}]},
            cache: {path, bytes, artifacts, blobs, bases, temp, other},
            state: {path, bytes, volumes, packageCaches, records}, logs: {path, bytes}, total,
            filesystems: [{holds, path, size, free, usedPercent}]}

Examples:
  jrt df
  jrt df --json | jq .cache

Exit status: 0 ok, 2 usage error. 'jrt gc' frees what nothing references (docs/disk.md).`;

function human(r: DfReport, fmt: (n: number) => string): string {
  const kinds = table([
    ['KIND', 'SIZE', 'DETAIL', 'PATH'],
    ['runtimes', fmt(r.runtimes.bytes), `${r.runtimes.items.length} installed`, r.runtimes.path],
    [
      'cache',
      fmt(r.cache.bytes),
      `artifacts ${fmt(r.cache.artifacts)}, blobs ${fmt(r.cache.blobs)}, bases ${fmt(r.cache.bases)}, temp ${fmt(r.cache.temp)}, other ${fmt(r.cache.other)}`,
      r.cache.path,
    ],
    [
      'state',
      fmt(r.state.bytes),
      `volumes ${fmt(r.state.volumes)}, package caches ${fmt(r.state.packageCaches)}, records ${fmt(r.state.records)}`,
      r.state.path,
    ],
    ['logs', fmt(r.logs.bytes), '', r.logs.path],
    ['total', fmt(r.total), '', ''],
  ]);
  const runtimes =
    r.runtimes.items.length === 0
      ? []
      : [
          '',
          table([
            ['RUNTIME', 'LANGUAGE', 'SIZE', 'UNIQUE', 'SHARED', 'VERSIONS'],
            ...r.runtimes.items.map((i) => [
              i.name,
              i.language,
              fmt(i.bytes),
              fmt(i.unique),
              fmt(i.shared),
              String(i.versions),
            ]),
          ]),
        ];
  const fs = table([
    ['FILESYSTEM OF', 'SIZE', 'FREE', 'USED'],
    ...r.filesystems.map((f) => [
      `${f.holds.join(', ')} (${f.path})`,
      fmt(f.size),
      fmt(f.free),
      `${f.usedPercent}%`,
    ]),
  ]);
  return [kinds, ...runtimes, '', fs].join('\n');
}

export const dfCommand: Command = {
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const { positionals } = parseFlags('df', argv, {}, true);
    if (positionals.length > 0)
      throw usageError('ERR_JRT_BAD_FLAG', 'df takes no arguments', "see 'jrt df --help'");
    const { diskUsage } = await import('../disk/df.js');
    const { formatBytes } = await import('../core/disk.js');
    const report = await diskUsage(ctx.paths);
    emit(ctx, report, () => human(report, formatBytes));
    return EXIT.ok;
  },
};
