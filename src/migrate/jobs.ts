/**
 * `jrt migrate jobs`: which runtime a workflow job should name. A job without a runtime runs on
 * the host (legacy mode); when its command is a host interpreter (`python3`, `/usr/bin/java`,
 * `python3.11`) that an installed runtime replaces, it gets that runtime. Pure.
 */
import type { MatchedInstall } from './analyze.js';
import { languageOfCommand, seriesOf } from './languages.js';
import { installAt, type PathEntry } from './types.js';
import type { WorkflowJob } from './workflow.js';

export type JobAction =
  | 'added'
  | 'has a runtime'
  | 'not an interpreter'
  | 'no matching runtime'
  | 'runtime not installed'
  | 'cannot edit';

export interface JobReport {
  file: string;
  job: string;
  line: number;
  command: string | undefined;
  /** `where` of the host install its command runs. */
  interpreter?: string;
  runtime?: string;
  action: JobAction;
  detail?: string;
}

/** The host install a job's command runs: by path, by PATH, or by the series in its name. */
export function interpreterOf(
  command: string,
  installs: readonly MatchedInstall[],
  path: readonly PathEntry[],
): MatchedInstall | undefined {
  const first = command.trim().split(/\s+/)[0] ?? '';
  const lang = languageOfCommand(first);
  if (!lang) return undefined;
  if (first.startsWith('/')) return installAt(installs, first) as MatchedInstall | undefined;
  if (lang.series !== undefined)
    return installs.find(
      (i) => i.language === lang.language && seriesOf(i.language, i.version) === lang.series,
    );
  const hit = path.find((e) => e.command === first);
  return hit?.install === undefined ? undefined : installs.find((i) => i.where === hit.install);
}

export function reportJob(
  file: string,
  job: WorkflowJob,
  installs: readonly MatchedInstall[],
  path: readonly PathEntry[],
  installed: ReadonlySet<string>,
): JobReport {
  const base = { file, job: job.name, line: job.line, command: job.command };
  if (job.runtime !== undefined) return { ...base, runtime: job.runtime, action: 'has a runtime' };
  const install = job.command === undefined ? undefined : interpreterOf(job.command, installs, path);
  if (!install) return { ...base, action: 'not an interpreter' };
  const at = { ...base, interpreter: install.where };
  const recipe = install.match.recipe;
  if (recipe === undefined) return { ...at, action: 'no matching runtime' };
  if (!installed.has(recipe))
    return {
      ...at,
      runtime: recipe,
      action: 'runtime not installed',
      detail: 'jrt migrate apply installs it',
    };
  if ('problem' in job.insert)
    return { ...at, runtime: recipe, action: 'cannot edit', detail: job.insert.problem };
  return { ...at, runtime: recipe, action: 'added' };
}
