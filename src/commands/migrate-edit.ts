/**
 * The parts of `jrt migrate` that change something: recipe drafts written to a directory, runtimes
 * installed through `jrt install` itself, and workflow files given their `runtime:` lines. The
 * deciding is done by the pure modules in src/migrate; this reads and writes.
 */
import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CommandContext, emit } from '../core/context.js';
import { replaceFile } from '../core/durable.js';
import { EXIT, usageError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import type { Analysis, MatchedInstall } from '../migrate/analyze.js';
import { applyInsertions, insertionDiff, type TextInsertion } from '../migrate/diff.js';
import { interpreterOf, type JobReport, reportJob } from '../migrate/jobs.js';
import { installedNames } from '../migrate/measure.js';
import { removalStep } from '../migrate/removal.js';
import { runtimeInsertion, type WorkflowJob, workflowJobs } from '../migrate/workflow.js';
import { installCommand } from './install.js';
import type { MigrateValues, PlannedMigration } from './migrate.js';
import { removalText } from './migrate-view.js';
import { table } from './table.js';

/** Write each draft once as NAME.yml; an existing file is never overwritten. */
export async function writeDrafts(dir: string, installs: readonly MatchedInstall[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const i of installs) {
    if (!i.draft || !('name' in i.draft)) continue;
    const file = path.join(dir, `${i.draft.name}.yml`);
    if (written.includes(file)) continue;
    try {
      await writeFile(file, i.draft.text, { flag: 'wx', mode: 0o644 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST')
        throw usageError(
          'ERR_JRT_DRAFT_EXISTS',
          `${file} exists; jrt does not overwrite it`,
          'choose another --write-drafts DIR',
        );
      throw e;
    }
    written.push(file);
  }
  return written;
}

const MAX_WORKFLOW = 4 << 20;

async function readWorkflow(file: string): Promise<{ text: string; jobs: WorkflowJob[] }> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    if (st.size > MAX_WORKFLOW)
      throw Object.assign(new Error(`over ${MAX_WORKFLOW} bytes`), { code: 'EFBIG' });
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw usageError(
      'ERR_JRT_WORKFLOW_READ',
      `cannot read workflow file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
  }
  const parsed = workflowJobs(text);
  if ('error' in parsed) throw usageError('ERR_JRT_WORKFLOW_INVALID', `${file}: ${parsed.error}`);
  return { text, jobs: parsed.jobs };
}

/** `where` of a host install → the jobs of these workflow files that still run it (no runtime). */
export async function jobsStillOnHost(files: readonly string[], a: Analysis): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const file of files) {
    for (const job of (await readWorkflow(file)).jobs) {
      if (job.runtime !== undefined || job.command === undefined) continue;
      const install = interpreterOf(job.command, a.installs, a.scan.path);
      if (install) out.set(install.where, [...(out.get(install.where) ?? []), `${file}:${job.name}`]);
    }
  }
  return out;
}

/** Install the planned runtimes exactly as `jrt install NAME...` does, then print the removal step. */
export async function applyPlan(
  ctx: CommandContext,
  values: MigrateValues,
  planned: PlannedMigration,
): Promise<number> {
  const { a, plan, needed } = planned;
  const names = plan.install.map((p) => p.recipe);
  let status: number = EXIT.ok;
  let runtimes: unknown[] = [];
  if (names.length > 0) {
    const flags = (['force', 'offline', 'locked'] as const).filter((f) => values[f]).map((f) => `--${f}`);
    const captured: string[] = [];
    status = await installCommand.run([...names, ...flags], {
      ...ctx,
      stdout: (t) => captured.push(t.endsWith('\n') ? t : `${t}\n`),
    });
    if (ctx.json) runtimes = (JSON.parse(captured.join('')) as { runtimes: unknown[] }).runtimes;
    else ctx.stdout(captured.join('').trimEnd());
  }
  const removal = removalStep(a.installs, await installedNames(ctx.paths.root), needed, a.scan.dpkg);
  emit(ctx, { runtimes, removal }, () =>
    [
      ...(names.length === 0 ? ['nothing to install: no host install has a matching recipe'] : []),
      '',
      ...removalText(removal),
    ].join('\n'),
  );
  return status;
}

interface FileResult {
  file: string;
  changed: boolean;
  jobs: JobReport[];
  diff?: string;
}

export async function migrateJobs(
  ctx: CommandContext,
  files: string[],
  a: Analysis,
  dryRun: boolean,
): Promise<number> {
  const installed = await installedNames(ctx.paths.root);
  // Every file is read and checked before any is written.
  const loaded = await Promise.all(files.map(async (file) => ({ file, ...(await readWorkflow(file)) })));
  const results: FileResult[] = [];
  const writes: { file: string; text: string }[] = [];
  for (const { file, text, jobs } of loaded) {
    const reports = jobs.map((j) => reportJob(file, j, a.installs, a.scan.path, installed));
    const inserts: TextInsertion[] = jobs.flatMap((j, k) => {
      const r = reports[k] as JobReport;
      return r.action === 'added' && !('problem' in j.insert)
        ? [runtimeInsertion(j.insert, r.runtime as string)]
        : [];
    });
    const next = applyInsertions(text, inserts);
    const check = workflowJobs(next);
    if (
      'error' in check ||
      check.jobs.some((j, k) => reports[k]?.action === 'added' && j.runtime !== reports[k]?.runtime)
    )
      throw usageError(
        'ERR_JRT_WORKFLOW_INVALID',
        `${file}: jrt could not add runtime: lines safely; nothing was changed`,
      );
    results.push({
      file,
      changed: next !== text,
      jobs: reports,
      ...(dryRun && next !== text ? { diff: insertionDiff(file, text, inserts) } : {}),
    });
    if (next !== text) writes.push({ file, text: next });
  }
  if (!dryRun)
    for (const w of writes) {
      // Through a symlink to the file itself: the link stays a link.
      const real = await realpath(w.file);
      const st = await stat(real);
      await replaceFile(real, w.text, { mode: st.mode, uid: st.uid, gid: st.gid });
    }
  emit(ctx, { dryRun, files: results }, () =>
    results
      .map((r) =>
        [
          `${printable(r.file)}: ${r.changed ? (dryRun ? 'would change' : 'changed') : 'unchanged'}`,
          table([
            ['JOB', 'LINE', 'COMMAND', 'RUNTIME', 'ACTION'],
            ...r.jobs.map((j) => [
              printable(j.job),
              String(j.line),
              printable(j.command ?? '-'),
              j.runtime ?? '-',
              `${j.action}${j.detail ? ` (${j.detail})` : ''}`,
            ]),
          ]),
          ...(r.diff ? ['', r.diff.trimEnd().split('\n').map(printable).join('\n')] : []),
        ].join('\n'),
      )
      .join('\n\n'),
  );
  return EXIT.ok;
}
