import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyInsertions, insertionDiff } from '../../../src/migrate/diff.js';
import { runtimeInsertion, type WorkflowJob, workflowJobs } from '../../../src/migrate/workflow.js';
import { insertedBefore } from '../../fixtures/workflows/expected.js';
import { requireTools } from '../../helpers/jrt.js';
import { tempDirSync } from '../../helpers/temp.js';

const FILE = `# Nightly pipeline. Owned by data-eng; ask #data before editing.
version: "3.0"

defaults:
  network: bridge   # every job talks to the warehouse
  resources: {max_memory: 1024}

jobs:
  extract:
    description: pull yesterday's rows
    command: python3
    args: ["extract.py", "--since", "yesterday"]

  train:  # the expensive one
    command: /usr/bin/python3.11
    args: [train.py]
    requires:
      - extract: "COMPLETED"
  report: {command: java, args: [-jar, report.jar]}   # flow style
  pinned:
    command: python3
    runtime: python-3.11-ml
  child:
    extends: pinned
    args: [child.py]

workflows:
  weekly:
    jobs:
      score:
        args: ["score.py"]
        command: "python3"
`;

const ok = (text: string): WorkflowJob[] => {
  const r = workflowJobs(text);
  if ('error' in r) throw new Error(r.error);
  return r.jobs;
};

describe('Joblet workflow files', () => {
  it('lists the jobs of jobs: and of named workflows, with the runtime each inherits', () => {
    const jobs = ok(FILE);
    expect(jobs.map((j) => [j.name, j.line, j.command, j.runtime])).toEqual([
      ['extract', 9, 'python3', undefined],
      ['train', 14, '/usr/bin/python3.11', undefined],
      ['report', 19, 'java', undefined],
      ['pinned', 20, 'python3', 'python-3.11-ml'],
      ['child', 23, 'python3', 'python-3.11-ml'],
      ['weekly.score', 30, 'python3', undefined],
    ]);
    const withDefault = ok('defaults:\n  runtime: java-17\njobs:\n  a:\n    command: java\n');
    expect(withDefault[0]?.runtime).toBe('java-17');
  });

  it('adds runtime: lines and a flow entry, changing no other byte', () => {
    const jobs = ok(FILE);
    const pick = (n: string) => jobs.find((j) => j.name === n) as WorkflowJob;
    const ins = ['extract', 'train', 'report', 'weekly.score'].map((n) => {
      const j = pick(n);
      if ('problem' in j.insert) throw new Error(j.insert.problem);
      return runtimeInsertion(j.insert, n === 'report' ? 'java-17' : 'python-3.11');
    });
    const out = applyInsertions(FILE, ins);
    const expected = insertedBefore(FILE, [
      ['    command: python3\n    args: ["extract', '    runtime: python-3.11\n'],
      ['    command: /usr/bin/python3.11', '    runtime: python-3.11\n'],
      ['command: java, args: [-jar, report.jar]', 'runtime: java-17, '],
      ['        command: "python3"', '        runtime: python-3.11\n'],
    ]);
    expect(out).toBe(expected);
    expect(ok(out).map((j) => j.runtime)).toEqual([
      'python-3.11',
      'python-3.11',
      'java-17',
      'python-3.11-ml',
      'python-3.11-ml',
      'python-3.11',
    ]);
  });

  it('keeps the spacing of a flow-style job', () => {
    const text = 'jobs:\n  a: { command: java }\n  b: {command: java}\n';
    const ins = ok(text).map((j) =>
      runtimeInsertion(j.insert as Exclude<WorkflowJob['insert'], { problem: string }>, 'java-17'),
    );
    expect(applyInsertions(text, ins)).toBe(
      'jobs:\n  a: { runtime: java-17, command: java }\n  b: {runtime: java-17, command: java}\n',
    );
  });

  it('keeps CRLF line endings', () => {
    const crlf = 'jobs:\r\n  a:\r\n    command: python3\r\n    args: [x.py]\r\n';
    const j = ok(crlf)[0] as WorkflowJob;
    if ('problem' in j.insert) throw new Error(j.insert.problem);
    expect(applyInsertions(crlf, [runtimeInsertion(j.insert, 'python-3.11')])).toBe(
      'jobs:\r\n  a:\r\n    runtime: python-3.11\r\n    command: python3\r\n    args: [x.py]\r\n',
    );
  });

  it('refuses what is not a workflow file', () => {
    expect(workflowJobs('jobs: [\n')).toMatchObject({ error: expect.stringMatching(/not valid YAML/) });
    expect(workflowJobs('- a\n- b\n')).toMatchObject({
      error: expect.stringMatching(/top level is not a mapping/),
    });
    expect(workflowJobs('name: x\n')).toMatchObject({ error: expect.stringMatching(/no jobs/) });
  });

  it('prints a unified diff that git apply (as patch -p0) turns into the exact result', () => {
    requireTools({ git: 'git' });
    const jobs = ok(FILE);
    const ins = jobs
      .filter((j) => j.runtime === undefined && !('problem' in j.insert))
      .map((j) => runtimeInsertion(j.insert as Exclude<WorkflowJob['insert'], { problem: string }>, 'x-1'));
    const diff = insertionDiff('pipeline.yaml', FILE, ins);
    expect(diff).toMatch(/^--- pipeline\.yaml\n\+\+\+ pipeline\.yaml\n@@ -8,15 \+8,17 @@\n/);
    const dir = tempDirSync('jrt-diff-');
    writeFileSync(path.join(dir, 'pipeline.yaml'), FILE);
    execFileSync('git', ['apply', '-p0'], { cwd: dir, input: diff });
    expect(readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8')).toBe(applyInsertions(FILE, ins));
  });
});
