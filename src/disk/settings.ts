/**
 * Retention and thresholds of `jrt gc`, `jrt df` and `jrt doctor`: /etc/jrt/gc.conf (JRT_GC_CONFIG
 * names another file), in exec.conf's format and read the same way (core/trusted-config.ts):
 *
 *   # /etc/jrt/gc.conf
 *   keep_artifacts = 2       # artifacts kept per runtime, newest first (default 1)
 *   log_max_age = 30d        # build logs and rotated job records older than this go (default 30d)
 *   log_max_size = 1g        # and the oldest of them past this total (default 1g)
 *   jobs_rotate_size = 64m   # jobs.jsonl is rotated aside past this size (default 64m)
 *   version_grace = 60s      # an old version switched away from more recently stays (default 60s)
 *   min_free = 10%           # install/build run a gc pass below this free space (default 10%)
 *   usage_warn = 90%         # jrt doctor warns above this use of a filesystem (default 90%)
 *
 * No file: the defaults. A wrong line is refused (exit 2), naming the file and line.
 */
import { usageError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import { readTrustedConfig } from '../core/trusted-config.js';

export const GC_CONFIG_FILE = '/etc/jrt/gc.conf';

export interface GcSettings {
  keepArtifacts: number;
  logMaxAgeMs: number;
  /** Build logs and rotated job records together: the oldest go past this total. */
  logMaxBytes: number;
  jobsRotateBytes: number;
  versionGraceMs: number;
  /** Free space (percent of the filesystem) under which install and build run a gc pass. */
  minFreePercent: number;
  /** Use (percent of the filesystem) above which `jrt doctor` warns. */
  usageWarnPercent: number;
}

export const GC_DEFAULTS: GcSettings = {
  keepArtifacts: 1,
  logMaxAgeMs: 30 * 86_400_000,
  logMaxBytes: 1024 ** 3,
  jobsRotateBytes: 64 * 1024 ** 2,
  versionGraceMs: 60_000,
  minFreePercent: 10,
  usageWarnPercent: 90,
};

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

type Parser = (v: string) => number | undefined;
const count: Parser = (v) => (/^\d{1,4}$/.test(v) ? Number(v) : undefined);
const size: Parser = (v) => {
  const m = /^(\d+)([kmgt]?)$/i.exec(v);
  return m ? Number(m[1]) * (SIZE_UNITS[(m[2] as string).toLowerCase()] as number) : undefined;
};
const duration: Parser = (v) => {
  const m = /^(\d+)([smhd])$/.exec(v);
  return m ? Number(m[1]) * (TIME_UNITS[m[2] as string] as number) : undefined;
};
const percent: Parser = (v) => {
  const m = /^(\d{1,3})%$/.exec(v);
  return m && Number(m[1]) <= 100 ? Number(m[1]) : undefined;
};

const KEYS: Record<string, { field: keyof GcSettings; parse: Parser; example: string }> = {
  keep_artifacts: { field: 'keepArtifacts', parse: count, example: '1' },
  log_max_age: { field: 'logMaxAgeMs', parse: duration, example: '30d' },
  log_max_size: { field: 'logMaxBytes', parse: size, example: '1g' },
  jobs_rotate_size: { field: 'jobsRotateBytes', parse: size, example: '64m' },
  version_grace: { field: 'versionGraceMs', parse: duration, example: '60s' },
  min_free: { field: 'minFreePercent', parse: percent, example: '10%' },
  usage_warn: { field: 'usageWarnPercent', parse: percent, example: '90%' },
};

/** Pure: gc.conf's text over the defaults. Unknown keys, repeated keys and bad values are refused. */
export function parseGcConfig(file: string, text: string): GcSettings {
  const out = { ...GC_DEFAULTS };
  const seen = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^([a-z_]+)\s*=\s*(\S+)$/.exec(line);
    const key = KEYS[m?.[1] ?? ''];
    if (!m || !key)
      throw usageError(
        'ERR_JRT_CONFIG_INVALID',
        `${where}: ${m ? `unknown key '${m[1]}'` : `expected 'key = value', got '${printable(line.slice(0, 80))}'`}`,
        `keys: ${Object.keys(KEYS).join(', ')}`,
      );
    const first = seen.get(m[1] as string);
    if (first)
      throw usageError('ERR_JRT_CONFIG_INVALID', `${where}: '${m[1]}' is set again (first at ${first})`);
    seen.set(m[1] as string, where);
    const value = key.parse(m[2] as string);
    if (value === undefined)
      throw usageError(
        'ERR_JRT_CONFIG_INVALID',
        `${where}: ${m[1]} = '${printable((m[2] as string).slice(0, 40))}' is not valid`,
        `e.g. ${m[1]} = ${key.example}`,
      );
    out[key.field] = value;
  });
  return out;
}

export function readGcSettings(env: NodeJS.ProcessEnv): GcSettings {
  const file = env.JRT_GC_CONFIG || GC_CONFIG_FILE;
  const text = readTrustedConfig(file, 'it says what jrt gc deletes');
  return text === undefined ? { ...GC_DEFAULTS } : parseGcConfig(file, text);
}

/** jobs_rotate_size for a job's end: a broken gc.conf never fails a job (jrt gc reports it). */
export function jobsRotateBytes(env: NodeJS.ProcessEnv): number | undefined {
  try {
    return readGcSettings(env).jobsRotateBytes;
  } catch {
    return undefined;
  }
}
