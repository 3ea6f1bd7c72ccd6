/**
 * A host uid of its own for every running job, like systemd's DynamicUser: jobs share no uid with
 * each other or with a host account, so per-user kernel limits (inotify instances, RLIMIT_NPROC,
 * keyrings, ...) and file ownership are per job, and `ps` tells jobs apart.
 *
 * A uid is taken by creating `<state>/uids/<uid>` exclusively (O_EXCL), holding jrt's pid and start
 * time; it is given back when the job ends. A claim whose jrt is gone (SIGKILL) is never taken over
 * at job start (another uid is picked); housekeeping removes it later.
 */
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { holderAlive, processStartTime } from '../core/pid.js';

/**
 * 65536 uids from 0x70000000 (1879048192): above the ranges systemd gives to containers
 * (524288-1879048191), below its "foreign" range (0x7FFE0000), far above any account.
 */
export const JOB_UID_BASE = 0x70000000;
export const JOB_UID_COUNT = 65536;

export interface JobUid {
  uid: number;
  release(): void;
}

function claimsDir(state: string): string {
  return path.join(state, 'uids');
}

/** Take a free uid for a job; `random` picks where to start looking (tests pass their own). */
export function claimJobUid(state: string, random: () => number = Math.random): JobUid {
  const dir = claimsDir(state);
  // The state directory stays traversable (the sandbox reaches <state>/mnt as the job's user).
  mkdirSync(state, { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Who holds a claim: jrt's pid and its start time (so a recycled pid is not mistaken for it).
  const content = `${process.pid} ${processStartTime(process.pid) ?? ''}\n`;
  const first = Math.floor(random() * JOB_UID_COUNT);
  for (let i = 0; i < 256; i++) {
    const uid = JOB_UID_BASE + ((first + i * 7919) % JOB_UID_COUNT);
    const file = path.join(dir, String(uid));
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw failure('ERR_JRT_JOB_UID', `cannot claim a uid for the job in ${dir}: ${(e as Error).message}`);
    }
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    return { uid, release: () => rmSync(file, { force: true }) };
  }
  throw failure('ERR_JRT_JOB_UID', `no free job uid in ${dir}: 256 tries found every one taken`, {
    hint: 'too many jobs at once, or stale claims: they are removed as jobs end',
  });
}

/**
 * Remove the claims of jrt processes that are gone. A claim is first renamed aside (only one of
 * several sweepers gets it), then checked; one that turns out live is put back (by link(2), which
 * never replaces a claim made meanwhile).
 */
export async function sweepStaleUidClaims(state: string): Promise<void> {
  const dir = claimsDir(state);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const file = path.join(dir, name);
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (content === '' || holderAlive(content)) continue;
    const aside = `${file}.sweep-${process.pid}`;
    try {
      renameSync(file, aside);
      if (holderAlive(readFileSync(aside, 'utf8'))) linkSync(aside, file);
      rmSync(aside, { force: true });
    } catch {}
  }
}
