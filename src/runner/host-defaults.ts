/**
 * The host's defaults for `jrt exec`: /etc/jrt/exec.conf (JRT_EXEC_CONFIG names another file), read at
 * every job's start. An operator sets there what every job on this host gets unless its own flags say
 * otherwise:
 *
 *   # /etc/jrt/exec.conf
 *   memory = 2g        # replaces the runtime's recommended_memory and the built-in 1g
 *   pids = 4096        # replaces the built-in 1024
 *   cpus = 1.5
 *   timeout = 4h
 *
 * `key = value` lines, `#` comments, blank lines; the values are those of the flags (`unlimited` for
 * memory and pids too). The file raises or lowers limits for every job, so it must be as trusted as
 * jrt itself: a regular file owned by root (or by the user running jrt), writable by nobody else,
 * in a directory writable by nobody else. Anything else is refused (exit 2), naming the file and line.
 * No file: the built-in defaults (docs/exec.md, Limits).
 */
import { usageError } from '../core/errors.js';
import { printable } from '../core/printable.js';
import { readTrustedConfig } from '../core/trusted-config.js';
import {
  type JobLimits,
  parseCpus,
  parseCpuset,
  parseDuration,
  parseMemoryFlag,
  parsePids,
} from './limits.js';

export const EXEC_CONFIG_FILE = '/etc/jrt/exec.conf';

/** The keys exec.conf may set: the limit flags of the same names. */
export const EXEC_CONFIG_KEYS = ['memory', 'pids', 'cpus', 'timeout'] as const;
export type ExecConfigKey = (typeof EXEC_CONFIG_KEYS)[number];

/** A value from the file, and where it was (FILE:LINE), for the message when it is wrong. */
export interface ExecSetting {
  value: string;
  where: string;
}

export type ExecDefaults = Partial<Record<ExecConfigKey, ExecSetting>>;

/** Pure: the settings of exec.conf's text. Unknown keys, repeated keys and other lines are refused. */
export function parseExecConfig(file: string, text: string): ExecDefaults {
  const out: ExecDefaults = {};
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^([a-z_]+)\s*=\s*(\S+)$/.exec(line);
    if (!m) {
      throw usageError(
        'ERR_JRT_CONFIG_INVALID',
        `${where}: expected 'key = value', got '${printable(line.slice(0, 80))}'`,
        `keys: ${EXEC_CONFIG_KEYS.join(', ')}`,
      );
    }
    const key = m[1] as string;
    if (!(EXEC_CONFIG_KEYS as readonly string[]).includes(key)) {
      throw usageError(
        'ERR_JRT_CONFIG_INVALID',
        `${where}: unknown key '${key}'`,
        `keys: ${EXEC_CONFIG_KEYS.join(', ')}`,
      );
    }
    const known = out[key as ExecConfigKey];
    if (known)
      throw usageError('ERR_JRT_CONFIG_INVALID', `${where}: '${key}' is set again (first at ${known.where})`);
    out[key as ExecConfigKey] = { value: m[2] as string, where };
  });
  return out;
}

/**
 * Read the host's exec.conf: {} when there is none (core/trusted-config.ts says how it is read and
 * who may own it).
 */
export function readExecConfig(env: NodeJS.ProcessEnv): ExecDefaults {
  const file = env.JRT_EXEC_CONFIG || EXEC_CONFIG_FILE;
  const text = readTrustedConfig(file, "it sets every job's limits");
  return text === undefined ? {} : parseExecConfig(file, text);
}

/** The limits: each flag, else the host's default for it (exec.conf), else the built-in one. */
export function jobLimits(
  v: { memory?: string; cpus?: string; cpuset?: string; pids?: string; timeout?: string },
  defaults: ExecDefaults,
  cpus: number,
): JobLimits {
  // A value and the name its error message gives: the flag's, or the config line's.
  const pick = (key: ExecConfigKey): [string | undefined, string] => {
    if (v[key] !== undefined) return [v[key], `--${key}`];
    const d = defaults[key];
    return d ? [d.value, `${d.where}: ${key}`] : [undefined, `--${key}`];
  };
  const [memory, memoryName] = pick('memory');
  const [cpuQuota, cpusName] = pick('cpus');
  const [pids, pidsName] = pick('pids');
  const [timeout, timeoutName] = pick('timeout');
  return {
    ...optional('memoryBytes', parseMemoryFlag(memory, memoryName)),
    ...(memory === undefined ? { memoryDefault: true } : {}),
    ...(cpuQuota !== undefined ? { cpus: parseCpus(cpuQuota, cpus, cpusName) } : {}),
    ...(v.cpuset !== undefined ? { cpuset: parseCpuset(v.cpuset, cpus) } : {}),
    ...optional('pids', parsePids(pids, pidsName)),
    ...(timeout !== undefined ? { timeoutMs: parseDuration(timeout, timeoutName) } : {}),
  };
}

/** `{ key: value }`, or nothing when the value is undefined (unlimited). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
