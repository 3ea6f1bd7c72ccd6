/**
 * How far a download may go: the size cap when no lock states one, the overall deadline, the idle
 * timeout. Defaults, overridable by JRT_DOWNLOAD_MAX_BYTES, JRT_DOWNLOAD_TIMEOUT and
 * JRT_DOWNLOAD_IDLE_TIMEOUT (seconds). Pure.
 */
import { usageError } from './errors.js';

export interface DownloadLimits {
  /** Largest body of a download whose size is not known in advance (a lock's size caps the others). */
  maxBytes: number;
  /** Every attempt of one download together must end within this. */
  deadlineMs: number;
  /** An attempt fails when no byte arrives for this long (then it is retried, within the deadline). */
  idleMs: number;
}

export const DEFAULT_LIMITS: DownloadLimits = {
  maxBytes: 2 * 1024 ** 3,
  deadlineMs: 30 * 60_000,
  idleMs: 60_000,
};

/** The limits, from JRT_DOWNLOAD_MAX_BYTES, JRT_DOWNLOAD_TIMEOUT and JRT_DOWNLOAD_IDLE_TIMEOUT (seconds). */
export function downloadLimits(env: NodeJS.ProcessEnv = process.env): DownloadLimits {
  const read = (name: string, unit: number, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^[1-9][0-9]{0,15}$/.test(raw))
      throw usageError(
        'ERR_JRT_BAD_SETTING',
        `${name} must be a whole number greater than 0, not '${raw.replace(/[^\x20-\x7e]/g, '?')}'`,
        `${name} is in ${unit === 1 ? 'bytes' : 'seconds'}; unset it for the default`,
      );
    return Number(raw) * unit;
  };
  return {
    maxBytes: read('JRT_DOWNLOAD_MAX_BYTES', 1, DEFAULT_LIMITS.maxBytes),
    deadlineMs: read('JRT_DOWNLOAD_TIMEOUT', 1000, DEFAULT_LIMITS.deadlineMs),
    idleMs: read('JRT_DOWNLOAD_IDLE_TIMEOUT', 1000, DEFAULT_LIMITS.idleMs),
  };
}
