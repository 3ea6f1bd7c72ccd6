/**
 * Finished jobs' records (`<log>/jobs.jsonl` and its rotated parts, runner/jobs.ts) read back for
 * `jrt jobs` and `jrt volume`: read (here) and filtered (filterJobRecords, pure).
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { JOBS_LOG, type JobReason, type JobRecord, ROTATED_JOBS } from './jobs.js';

/** Every record, oldest file first (rotated parts by name, then jobs.jsonl); files older than `sinceMs` skipped. */
export async function readJobRecords(logDir: string, sinceMs = 0): Promise<JobRecord[]> {
  const names = (await readdir(logDir).catch(() => [] as string[]))
    .filter((n) => ROTATED_JOBS.test(n))
    .sort();
  const out: JobRecord[] = [];
  for (const name of [...names, JOBS_LOG]) {
    const file = path.join(logDir, name);
    const st = await lstat(file).catch(() => undefined);
    // A regular file only; a rotated file last written before `since` holds nothing newer.
    if (!st?.isFile() || st.mtimeMs < sinceMs) continue;
    for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
      if (line === '') continue;
      try {
        const r = JSON.parse(line) as JobRecord;
        if (r && typeof r.id === 'string' && typeof r.start === 'string') out.push(r);
      } catch {}
    }
  }
  return out;
}

export const STATUS_FILTERS = ['ok', 'failed', 'exit', 'oom', 'timeout', 'pids', 'signal', 'error'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export interface JobFilter {
  runtime?: string;
  status?: StatusFilter;
  sinceMs?: number;
  /** The newest this many (after the filters). */
  limit?: number;
}

function statusMatches(r: JobRecord, s: StatusFilter): boolean {
  if (s === 'ok') return r.exitStatus === 0;
  if (s === 'failed') return r.exitStatus !== 0;
  return r.reason === (s as JobReason);
}

/** Pure: the records that pass every filter, oldest first, the newest `limit` of them. */
export function filterJobRecords(records: readonly JobRecord[], f: JobFilter): JobRecord[] {
  const kept = records.filter(
    (r) =>
      (f.runtime === undefined || r.runtime === f.runtime) &&
      (f.status === undefined || statusMatches(r, f.status)) &&
      (f.sinceMs === undefined || Date.parse(r.start) >= f.sinceMs),
  );
  kept.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return f.limit === undefined ? kept : kept.slice(Math.max(0, kept.length - f.limit));
}

/** `--since`: a duration back from now (30m, 6h, 7d) or a date (2026-12-01, an ISO time). */
export function parseSince(text: string, nowMs: number): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m)
    return nowMs - Number(m[1]) * ({ s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's'] ?? 0);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
