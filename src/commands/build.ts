import { buildRuntime } from '../builder/build.js';
import { emit } from '../core/context.js';
import { formatBytes } from '../core/disk.js';
import { usageError } from '../core/errors.js';
import { formatMs } from '../core/progress.js';
import { parseFlags } from './args.js';
import { openProgress } from './progress-view.js';
import { recipeFileFor } from './recipe-arg.js';
import type { Command } from './types.js';

export const buildCommand: Command = {
  help: `Usage: jrt build RECIPE... [--out DIR] [--locked] [--offline]

Fetch every input of the recipe (pinned by its lock, recipes/NAME.lock.json, which is written when
missing or out of date), build the runtime in a throwaway root without network, keep only what it
needs, check that every ELF dependency resolves inside it, run its smoke tests and pack
NAME-VERSION.jrt.tar.gz. Nothing is installed and nothing on the host changes. When the cache's or
the runtimes root's filesystem has less than min_free free (/etc/jrt/gc.conf, default 10%), a
'jrt gc' pass runs first and says what it freed (docs/disk.md).

RECIPE is a recipe file or a recipe name/alias from the recipes directory.

Flags:
  --out DIR     where the artifact goes (default: the current directory)
  --locked      require an up-to-date lock; never resolve again (for CI and releases)
  --offline     use only the cache (JRT_CACHE); fail if anything is missing
  --json        print {artifacts:[{name, artifact, sha256, size, ms, lock}]} on stdout

Examples:
  jrt build recipes/java-21.yml
  jrt build python-3.11-ml --out /tmp/artifacts
  jrt build node-18 --locked --offline

Exit status: 0 built, 1 the build failed (the log path is printed), 2 bad recipe or flags.`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags('build', argv, {
      out: { type: 'string' },
      locked: { type: 'boolean' },
      offline: { type: 'boolean' },
    });
    if (positionals.length === 0)
      throw usageError('ERR_JRT_BAD_FLAG', 'build: name at least one recipe', "see 'jrt build --help'");
    const { gcIfLow } = await import('../disk/gc-apply.js');
    const { readGcSettings } = await import('../disk/settings.js');
    await gcIfLow(ctx.paths, readGcSettings(ctx.env), ctx.stderr);
    const progress = await openProgress(ctx);
    const results: (BuiltArtifact & { log: string })[] = [];
    try {
      for (const arg of positionals) {
        const started = performance.now();
        const r = await buildRuntime({
          recipeFile: await recipeFileFor(arg, ctx.paths),
          paths: ctx.paths,
          outDir: values.out,
          locked: values.locked,
          offline: values.offline,
          onProgress: progress.onProgress,
        });
        results.push({
          name: r.name,
          artifact: r.artifact,
          sha256: r.sha256,
          size: r.size,
          ms: Math.round(performance.now() - started),
          lock: r.lockFile,
          lock_changed: r.lockChanged,
          log: r.logFile,
        });
      }
    } finally {
      await progress.close();
    }
    emit(ctx, { artifacts: results }, () => results.map(describeArtifact).join('\n'));
    return 0;
  },
};

/** One built artifact as `jrt build --json` reports it (with the build's log file). */
interface BuiltArtifact {
  name: string;
  artifact: string;
  sha256: string;
  size: number;
  ms: number;
  lock: string;
  lock_changed: boolean;
}

/** `node-18: ./node-18-18.20.8.jrt.tar.gz` and its sha256, size in MiB (as `jrt list`), time and lock. */
export function describeArtifact(r: BuiltArtifact): string {
  return `${r.name}: ${r.artifact}\n  sha256 ${r.sha256}, ${formatBytes(r.size)}, ${formatMs(r.ms)}${r.lock_changed ? `, lock written: ${r.lock}` : ''}`;
}
