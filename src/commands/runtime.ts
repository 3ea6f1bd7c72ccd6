import { type CommandContext, emit } from '../core/context.js';
import { EXIT, usageError } from '../core/errors.js';
import { printable, printableLines } from '../core/printable.js';
import type { InstalledDetails } from '../installer/installed.js';
import type { VerifyReport } from '../installer/verify.js';
import { parseFlags, wantsHelp } from './args.js';
import { table } from './table.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt runtime <list|info|verify|remove> [flags]   (shortcuts: jrt list, info, verify, remove)

  list                     installed runtimes: NAME LANGUAGE VERSION TAGS SIZE DESCRIPTION
  info NAME                runtime.yml, manifest summary and build_info of one runtime
  verify [NAME...]         re-hash every file against manifest.json; report modified, missing
                           and extra files (exit 1 if any); all runtimes when no NAME is given
  remove NAME [--force]    remove a runtime; refused while a running job uses it, and for a runtime
                           jrt did not install (Joblet's layouts, deploy_runtimes.sh), unless --force

NAME is a runtime name, one of its aliases or a --runtime spec (java:17, python:3.11+ml), resolved
as 'jrt exec' resolves it. Every subcommand takes --json.

Examples:
  jrt runtime list
  jrt info java-17
  jrt runtime info python:3.11+ml
  jrt verify --json
  jrt runtime remove node-18`;

async function list(ctx: CommandContext): Promise<number> {
  const { listInstalledDetails } = await import('../installer/installed.js');
  const { formatBytes } = await import('../core/disk.js');
  const all = await listInstalledDetails(ctx.paths.root);
  const rows = all.map((r) => ({
    name: r.name,
    language: r.language,
    version: r.version,
    tags: r.tags,
    size: r.manifest?.total_size ?? null,
    description: r.problem ?? r.runtime.description ?? '',
    path: r.path,
    layout: r.layout,
    foreign: r.foreign,
  }));
  emit(ctx, rows, () =>
    rows.length === 0
      ? `no runtimes installed under ${ctx.paths.root}`
      : table([
          ['NAME', 'LANGUAGE', 'VERSION', 'TAGS', 'SIZE', 'DESCRIPTION'],
          ...rows.map((r) => [
            r.name,
            r.language,
            r.version,
            r.tags.join(',') || '-',
            r.size === null ? '?' : formatBytes(r.size),
            r.description,
          ]),
        ]),
  );
  return EXIT.ok;
}

async function info(ctx: CommandContext, names: string[]): Promise<number> {
  if (names.length !== 1)
    throw usageError('ERR_JRT_BAD_FLAG', 'runtime info takes one NAME', 'jrt runtime info java-17');
  const { resolveInstalled } = await import('../installer/installed.js');
  const { formatBytes } = await import('../core/disk.js');
  const { readCapped } = await import('../core/read-capped.js');
  const { MAX_DESCRIPTION_BYTES } = await import('../core/runtime-format.js');
  const path = await import('node:path');
  const r = await resolveInstalled(ctx.paths.root, names[0] as string);
  const yml = await readCapped(path.join(r.dir, 'runtime.yml'), MAX_DESCRIPTION_BYTES).then(
    (b) => b.toString('utf8'),
    () => '',
  );
  const m = r.manifest;
  const summary = m && {
    files: m.files.filter((f) => f.type === 'file').length,
    entries: m.files.length,
    total_size: m.total_size,
    jrt_version: m.jrt_version,
    recipe_digest: m.recipe_digest,
    lock_digest: m.lock_digest,
  };
  emit(
    ctx,
    {
      name: r.name,
      language: r.language,
      path: r.path,
      dir: r.dir,
      managed: r.managed,
      runtime: r.runtime,
      problem: r.problem ?? null,
      manifest: summary ?? null,
    },
    () =>
      printableLines(
        [
          `${r.name} (${r.language}) at ${r.path}${r.managed ? ` -> ${r.dir}` : ''}`,
          ...(r.problem ? [`DAMAGED: ${r.problem} (see 'jrt runtime verify ${r.name}')`] : []),
          '',
          '--- runtime.yml',
          yml.trimEnd(),
          '',
          '--- manifest',
          summary
            ? `${summary.entries} entries, ${summary.files} files, ${formatBytes(summary.total_size)}; jrt ${summary.jrt_version}; recipe ${summary.recipe_digest}; lock ${summary.lock_digest}`
            : 'no manifest.json (not installed by jrt?)',
          '',
          '--- build_info',
          ...Object.entries(r.runtime.build_info ?? {}).map(([k, v]) => printable(`${k}: ${String(v)}`)),
        ].join('\n'),
      ),
  );
  return EXIT.ok;
}

async function verify(ctx: CommandContext, names: string[]): Promise<number> {
  const { listInstalledDetails, resolveInstalled } = await import('../installer/installed.js');
  const { verifyRuntime } = await import('../installer/verify.js');
  const targets: InstalledDetails[] =
    names.length > 0
      ? await Promise.all(names.map((n) => resolveInstalled(ctx.paths.root, n)))
      : await listInstalledDetails(ctx.paths.root);
  const results: (VerifyReport & { name: string; error?: string })[] = [];
  for (const r of targets) {
    try {
      results.push({ name: r.name, ...(await verifyRuntime(r.dir)) });
    } catch (e) {
      results.push({
        name: r.name,
        ok: false,
        modified: [],
        missing: [],
        extra: [],
        error: `cannot read manifest.json: ${(e as Error).message}`,
      });
    }
  }
  emit(ctx, { runtimes: results }, () =>
    results.length === 0
      ? `no runtimes installed under ${ctx.paths.root}`
      : printableLines(
          results
            .map((r) =>
              r.ok
                ? `${r.name}: ok`
                : [
                    `${r.name}: DAMAGED`,
                    ...(r.error ? [`  ${r.error}`] : []),
                    ...r.modified.map((m) => `  modified: ${m.path} (${m.reason})`),
                    ...r.missing.map((m) => `  missing:  ${m}`),
                    ...r.extra.map((m) => `  extra:    ${m}`),
                  ].join('\n'),
            )
            .join('\n'),
        ),
  );
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failure;
}

async function remove(ctx: CommandContext, names: string[], force: boolean): Promise<number> {
  if (names.length !== 1)
    throw usageError('ERR_JRT_BAD_FLAG', 'runtime remove takes one NAME', 'jrt runtime remove node-18');
  const { removeInstalled } = await import('../installer/remove.js');
  const r = await removeInstalled(ctx.paths, names[0] as string, {
    force,
    onWait: (pid) => ctx.stderr(`waiting for pid ${pid}, which holds the install lock of this runtime`),
  });
  emit(ctx, { removed: r.name, path: r.path }, () => printable(`removed ${r.name} (${r.path})`));
  return EXIT.ok;
}

export const runtimeCommand: Command = {
  help: HELP,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      ctx.stdout(HELP);
      return EXIT.ok;
    }
    const [sub, ...rest] = argv;
    const { values, positionals } = parseFlags(`runtime ${sub ?? ''}`.trim(), rest, {
      force: { type: 'boolean', short: 'f' },
    });
    switch (sub) {
      case 'list':
      case 'ls':
        return list(ctx);
      case 'info':
        return info(ctx, positionals);
      case 'verify':
        return verify(ctx, positionals);
      case 'remove':
      case 'rm':
        return remove(ctx, positionals, values.force === true);
      default:
        throw usageError(
          'ERR_JRT_BAD_FLAG',
          sub ? `unknown subcommand 'runtime ${sub}'` : 'runtime: say what to do',
          'jrt runtime list | info NAME | verify [NAME...] | remove NAME',
        );
    }
  },
};
