import { type CommandContext, emit } from '../core/context.js';
import { EXIT, usageError } from '../core/errors.js';
import type { VolumeInfo } from '../disk/volumes.js';
import { parseFlags, wantsHelp } from './args.js';
import { table } from './table.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt volume <list|inspect NAME|remove NAME> [--json]

Named volumes ('jrt exec --volume NAME:/PATH', JRT_STATE/volumes/NAME) and runtimes' package caches
('jrt exec --package-cache', JRT_STATE/package-caches/RUNTIME, named cache:RUNTIME here).

  list            every volume and package cache: NAME KIND SIZE LAST-USED RUNTIMES IN-USE
  inspect NAME    one of them, with its path
  remove NAME     delete it and its data; refused while a running job mounts it

LAST-USED is the later of the directory's mtime and the start of the last recorded job that
mounted it; RUNTIMES are the runtimes of those jobs (for a package cache: its runtime). Sizes are
what 'du -sB1' says, symlinks never followed. 'jrt gc' never removes a volume: it is job data.

Examples:
  jrt volume list
  jrt volume inspect pipeline-data --json
  jrt volume remove cache:python-3.11-ml

Exit status: 0 ok, 1 in use (ERR_JRT_VOLUME_IN_USE), 2 no such volume or a bad name.`;

function rows(list: VolumeInfo[], fmt: (n: number) => string): string {
  return table([
    ['NAME', 'KIND', 'SIZE', 'LAST-USED', 'RUNTIMES', 'IN-USE'],
    ...list.map((v) => [
      v.name,
      v.kind,
      fmt(v.bytes),
      v.lastUsed.replace(/\.\d+Z$/, 'Z'),
      v.runtimes.join(',') || '-',
      v.inUseBy.length > 0 ? `pid ${v.inUseBy.join(',')}` : '-',
    ]),
  ]);
}

export const volumeCommand: Command = {
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const { positionals } = parseFlags('volume', argv, {});
    const [sub, ...names] = positionals;
    const { listVolumes, findVolume, removeVolume } = await import('../disk/volumes.js');
    const { readJobRecords } = await import('../runner/job-log.js');
    const { formatBytes } = await import('../core/disk.js');
    const one = () => {
      if (names.length !== 1)
        throw usageError('ERR_JRT_BAD_FLAG', `volume ${sub} takes one NAME`, "see 'jrt volume list'");
      return names[0] as string;
    };
    if (sub === 'list' && names.length === 0) {
      const list = await listVolumes(ctx.paths, await readJobRecords(ctx.paths.log));
      emit(ctx, list, () =>
        list.length === 0 ? `no volumes in ${ctx.paths.state}` : rows(list, formatBytes),
      );
      return EXIT.ok;
    }
    if (sub === 'inspect') {
      const v = await findVolume(ctx.paths, one(), await readJobRecords(ctx.paths.log));
      emit(ctx, v, () => `${rows([v], formatBytes)}\npath: ${v.path}`);
      return EXIT.ok;
    }
    if (sub === 'remove') {
      const v = await removeVolume(ctx.paths, one());
      emit(ctx, { removed: v }, () => `removed ${v.name} (${formatBytes(v.bytes)}, ${v.path})`);
      return EXIT.ok;
    }
    throw usageError(
      'ERR_JRT_BAD_SUBCOMMAND',
      sub === undefined ? 'volume needs a subcommand' : `unknown volume subcommand '${sub}'`,
      'jrt volume list | inspect NAME | remove NAME',
    );
  },
};
