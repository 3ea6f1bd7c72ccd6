/** Resource flags of `jrt exec` (--memory 512m, --cpus 1.5, --cpuset 0-1, --pids 100, --timeout 30s), parsed purely. */
import { usageError } from '../core/errors.js';

export interface JobLimits {
  memoryBytes?: number;
  /** --memory was not given: the runtime's recommended_memory may replace DEFAULT_MEMORY_BYTES. */
  memoryDefault?: boolean;
  cpus?: number;
  cpuset?: string;
  pids?: number;
  timeoutMs?: number;
}

/** Every job's memory limit unless --memory says otherwise (`unlimited` must be asked for). */
export const DEFAULT_MEMORY_BYTES = 1024 ** 3;
/** Every job's process limit unless --pids says otherwise: a fork bomb ends here, not at pid_max. */
export const DEFAULT_PIDS = 1024;
/** The largest --memory accepted (1 PiB): above it the kernel's limit file would round or refuse. */
export const MAX_MEMORY_BYTES = 1024 ** 5;
/** The kernel's PID_MAX_LIMIT: no pids.max above it means anything. */
export const MAX_PIDS = 4_194_304;
/** The longest --timeout (30 days): Node timers and the watcher's sleep both hold it exactly. */
export const MAX_TIMEOUT_MS = 30 * 24 * 3_600_000;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512m`, `1g`, `1.5G`, `64MiB`, `1048576` (bytes) → bytes. */
export function parseSize(text: string, flag = '--memory'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtb]?)(?:i?b)?$/i.exec(text.trim());
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined) {
    throw usageError('ERR_JRT_BAD_LIMIT', `${flag}: '${text}' is not a size`, 'use e.g. 512m, 2g, 65536k');
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 1024 * 1024) throw usageError('ERR_JRT_BAD_LIMIT', `${flag}: '${text}' is below 1 MiB`);
  if (bytes > MAX_MEMORY_BYTES)
    throw usageError('ERR_JRT_BAD_LIMIT', `${flag}: '${text}' is above 1024t (the range is 1m to 1024t)`);
  return bytes;
}

/** --memory: a size, or `unlimited` (undefined); the default when not given. */
export function parseMemoryFlag(text: string | undefined, flag = '--memory'): number | undefined {
  if (text === undefined) return DEFAULT_MEMORY_BYTES;
  return text === 'unlimited' ? undefined : parseSize(text, flag);
}

const DURATION: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, '': 1000 };

/** `30s`, `500ms`, `2m`, `1h`, `45` (seconds) → milliseconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Math.round(Number(m[1]) * (DURATION[m[2] ?? ''] ?? 1000)) : Number.NaN;
  if (!(ms > 0))
    throw usageError('ERR_JRT_BAD_LIMIT', `${flag}: '${text}' is not a duration`, 'use e.g. 30s, 500ms, 5m');
  if (ms > MAX_TIMEOUT_MS)
    throw usageError(
      'ERR_JRT_BAD_LIMIT',
      `${flag}: '${text}' is above 720h (the range is 1ms to 720h, 30 days)`,
    );
  return ms;
}

export function parseCpus(text: string, online: number, flag = '--cpus'): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n >= 0.01) || n > online) {
    throw usageError('ERR_JRT_BAD_LIMIT', `${flag}: '${text}' must be a number between 0.01 and ${online}`);
  }
  return n;
}

/** `0`, `0-1`, `0,2-3`: every CPU must exist. */
export function parseCpuset(text: string, online: number): string {
  const ok = /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text);
  const ranges = ok ? text.split(',').map((r) => r.split('-').map(Number)) : [];
  const backwards = ranges.some(([a, b]) => b !== undefined && (a as number) > b);
  if (!ok || backwards || ranges.flat().some((c) => c >= online)) {
    throw usageError(
      'ERR_JRT_BAD_LIMIT',
      `--cpuset: '${text}' is not a list of CPUs 0-${online - 1}`,
      'e.g. 0, 0-1, 0,2',
    );
  }
  return text;
}

/** --pids: 1 to MAX_PIDS, or `unlimited` (undefined); the default when not given. */
export function parsePids(text: string | undefined, flag = '--pids'): number | undefined {
  if (text === undefined) return DEFAULT_PIDS;
  if (text === 'unlimited') return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PIDS)
    throw usageError(
      'ERR_JRT_BAD_LIMIT',
      `${flag}: '${text}' must be an integer from 1 to ${MAX_PIDS}, or unlimited`,
    );
  return n;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 ** 2) return `${Math.round((n / 1024 ** 2) * 10) / 10} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}
