import { describe, expect, it } from 'vitest';
import { filterJobRecords, parseSince } from '../../../src/runner/job-log.js';
import type { JobRecord } from '../../../src/runner/jobs.js';

const rec = (
  id: string,
  start: string,
  runtime: string,
  exitStatus: number,
  reason: JobRecord['reason'],
): JobRecord => ({
  id,
  start,
  runtime,
  argv: [],
  limits: {},
  exitStatus,
  reason,
  durationMs: 1,
});

const all = [
  rec('a', '2026-12-01T10:00:00.000Z', 'java-17', 0, 'exit'),
  rec('b', '2026-12-01T11:00:00.000Z', 'node-18', 137, 'oom'),
  rec('c', '2026-12-01T09:00:00.000Z', 'java-17', 124, 'timeout'),
  rec('d', '2026-12-02T10:00:00.000Z', 'java-17', 3, 'exit'),
];
const ids = (r: JobRecord[]) => r.map((x) => x.id);

describe('filterJobRecords', () => {
  it.each([
    [{}, ['c', 'a', 'b', 'd']],
    [{ runtime: 'java-17' }, ['c', 'a', 'd']],
    [{ status: 'ok' as const }, ['a']],
    [{ status: 'failed' as const }, ['c', 'b', 'd']],
    [{ status: 'oom' as const }, ['b']],
    [{ status: 'exit' as const, runtime: 'java-17' }, ['a', 'd']],
    [{ sinceMs: Date.parse('2026-12-01T10:30:00Z') }, ['b', 'd']],
    [{ limit: 2 }, ['b', 'd']],
  ])('%j', (f, expected) => {
    expect(ids(filterJobRecords(all, f))).toEqual(expected);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  it('takes durations back from now and dates', () => {
    expect(parseSince('2h', now)).toBe(Date.parse('2026-12-02T10:00:00Z'));
    expect(parseSince('7d', now)).toBe(Date.parse('2026-11-25T12:00:00Z'));
    expect(parseSince('2026-12-01', now)).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(parseSince('2026-12-01T10:00:00Z', now)).toBe(Date.parse('2026-12-01T10:00:00Z'));
  });
  it.each(['yesterday', '2h30m', '', '12', '2026-13-45'])('refuses %j', (t) => {
    expect(parseSince(t, now)).toBeUndefined();
  });
});
