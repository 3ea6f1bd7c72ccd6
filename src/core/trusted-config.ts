/**
 * Host configuration files of settings (/etc/jrt/exec.conf, /etc/jrt/gc.conf): read without
 * blocking (a FIFO does not hang jrt), up to MAX_CONFIG_BYTES, and refused unless only root (or
 * jrt's own user) can change the file and its directory. Anything else is refused (exit 2), naming
 * the file.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { usageError } from './errors.js';

/** A config of settings, not data. */
const MAX_CONFIG_BYTES = 64 * 1024;

/** The text of `file`, or undefined when there is none. `why` says what the file controls. */
export function readTrustedConfig(file: string, why: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw usageError('ERR_JRT_CONFIG_READ', `${file}: cannot be read: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw usageError('ERR_JRT_CONFIG_READ', `${file}: not a regular file`);
    checkTrusted(file, st, why);
    checkTrusted(path.dirname(file), statSync(path.dirname(file)), why);
    if (st.size > MAX_CONFIG_BYTES) {
      throw usageError(
        'ERR_JRT_CONFIG_READ',
        `${file}: ${st.size} bytes; a config holds at most ${MAX_CONFIG_BYTES}`,
      );
    }
    const buf = Buffer.alloc(st.size);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Owned by root or by jrt's own user, and writable by no one else. */
function checkTrusted(name: string, st: { uid: number; mode: number }, why: string): void {
  const me = process.geteuid?.() ?? 0;
  const owner = st.uid === 0 || st.uid === me;
  if (owner && (st.mode & 0o022) === 0) return;
  throw usageError(
    'ERR_JRT_CONFIG_UNSAFE',
    `${name}: ${owner ? `mode ${(st.mode & 0o7777).toString(8)} lets others change it` : `owned by uid ${st.uid}, not root`}; ${why}, so only root may change it`,
    `chown root:root ${name} && chmod go-w ${name}`,
  );
}
