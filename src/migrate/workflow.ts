/**
 * Joblet workflow files as `rnx` reads them: top-level `defaults`, `jobs` (name → job) and
 * `workflows` (name → {jobs}); a job has `command`, `args`, `runtime`, ... and may `extends` another
 * top-level job; `defaults` and `extends` hand their `runtime` down. Finding the jobs and adding a
 * `runtime:` to one is textual: the parser only says where things are, and the edit inserts one
 * line (or one flow-map entry), so every other byte and comment stays as it was. Pure.
 */
import { isMap, isScalar, type Pair, parseDocument, type YAMLMap } from 'yaml';
import type { TextInsertion } from './diff.js';

export interface WorkflowJob {
  /** `extract` or `ml-pipeline.train` (a job of a named workflow). */
  name: string;
  line: number;
  command: string | undefined;
  /** The runtime it runs on: its own, its `extends` parent's or the defaults'. */
  runtime: string | undefined;
  /** Where a `runtime:` line would go, or why none can be added. */
  insert: Insertion | { problem: string };
}

/** Insert `text` at `at`; for a block map the line is `indent + runtime: NAME + eol`. */
export interface Insertion {
  at: number;
  style: { kind: 'block'; indent: string; eol: string } | { kind: 'flow'; spaced: boolean };
}

type Range = [number, number, number];
const rangeOf = (n: unknown) => (n as { range?: Range } | null)?.range;

function scalarAt(map: YAMLMap, key: string): string | undefined {
  const v = map.get(key, true);
  return isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function insertionFor(text: string, map: YAMLMap): Insertion | { problem: string } {
  const start = rangeOf(map)?.[0];
  if (start === undefined) return { problem: 'no position for this job' };
  if (map.flow)
    return text[start] === '{'
      ? { at: start + 1, style: { kind: 'flow', spaced: text[start + 1] === ' ' } }
      : { problem: 'unusual flow map' };
  const anchor = (map.items.find((p) => isScalar(p.key) && p.key.value === 'command') ?? map.items[0]) as
    | Pair
    | undefined;
  const keyStart = rangeOf(anchor?.key)?.[0];
  if (keyStart === undefined) return { problem: 'an empty job' };
  const at = lineStart(text, keyStart);
  const indent = text.slice(at, keyStart);
  if (!/^ *$/.test(indent)) return { problem: 'its keys do not start their lines' };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { at, style: { kind: 'block', indent, eol } };
}

export type WorkflowParse = { jobs: WorkflowJob[] } | { error: string };

export function workflowJobs(text: string): WorkflowParse {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0)
    return { error: `not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? ''}` };
  const top = doc.contents;
  if (!isMap(top)) return { error: 'the top level is not a mapping (a workflow file has jobs:)' };
  const defaults = top.get('defaults', true);
  const defaultRuntime = isMap(defaults) ? scalarAt(defaults, 'runtime') : undefined;
  const topJobs = top.get('jobs', true);
  const lineOf = (pos: number) => text.slice(0, pos).split('\n').length;
  const collect = (jobs: unknown, prefix: string, parents?: YAMLMap): WorkflowJob[] => {
    if (!isMap(jobs)) return [];
    const out: WorkflowJob[] = [];
    for (const pair of jobs.items) {
      if (!isScalar(pair.key) || !isMap(pair.value)) continue;
      const job = pair.value as YAMLMap;
      const parentName = scalarAt(job, 'extends');
      const parent = parentName !== undefined && parents ? parents.get(parentName, true) : undefined;
      const runtime =
        scalarAt(job, 'runtime') ??
        (isMap(parent) ? scalarAt(parent, 'runtime') : undefined) ??
        defaultRuntime;
      out.push({
        name: `${prefix}${String(pair.key.value)}`,
        line: lineOf(rangeOf(pair.key)?.[0] ?? 0),
        command: scalarAt(job, 'command') ?? (isMap(parent) ? scalarAt(parent, 'command') : undefined),
        runtime,
        insert: insertionFor(text, job),
      });
    }
    return out;
  };
  const jobs = collect(topJobs, '', isMap(topJobs) ? topJobs : undefined);
  const workflows = top.get('workflows', true);
  if (isMap(workflows))
    for (const w of workflows.items)
      if (isScalar(w.key) && isMap(w.value))
        jobs.push(...collect(w.value.get('jobs', true), `${String(w.key.value)}.`));
  if (jobs.length === 0 && !isMap(topJobs) && !isMap(workflows))
    return { error: 'no jobs: (not a Joblet workflow file)' };
  return { jobs };
}

/** The text that adds `runtime: NAME` at an insertion point. */
export function runtimeInsertion(insert: Insertion, runtime: string): TextInsertion {
  const s = insert.style;
  if (s.kind === 'block') return { at: insert.at, text: `${s.indent}runtime: ${runtime}${s.eol}` };
  // `{command: java}` → `{runtime: NAME, command: java}`; `{ command: java }` → `{ runtime: NAME, command: java }`.
  return { at: insert.at, text: s.spaced ? ` runtime: ${runtime},` : `runtime: ${runtime}, ` };
}
