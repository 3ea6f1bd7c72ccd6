/**
 * Per-runtime install lock: <JRT_STATE>/locks/<name>.lock, created with O_EXCL and holding the pid.
 * Installs of the same runtime queue up; different runtimes proceed in parallel. A lock whose pid is
 * dead — or now belongs to another process (start time differs) — is stale and taken over (renamed
 * away first, so two waiters cannot both take it).
 */
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { failure } from '../core/errors.js';
import { holderAlive, processStartTime } from '../core/pid.js';

export type Release = () => Promise<void>;

/**
 * The lock across runtimes under which an install checks that its names, aliases and (language,
 * version, tags) are free and switches the runtime in. A leading dot: no runtime can be named so.
 */
export const IDENTITY_LOCK = '.identities';

export async function acquireLock(
  state: string,
  name: string,
  opts: { timeoutMs?: number; onWait?: (holder: number) => void } = {},
): Promise<Release> {
  const dir = path.join(state, 'locks');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.lock`);
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  let told = false;
  for (;;) {
    try {
      await writeFile(file, `${process.pid} ${processStartTime(process.pid) ?? ''}\n`, {
        flag: 'wx',
        mode: 0o644,
      });
      return async () => {
        await rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const content = await readFile(file, 'utf8').catch(() => '');
    const holder = Number.parseInt(content, 10);
    if (Number.isNaN(holder)) {
      // Being created or removed right now; look again shortly.
    } else if (!holderAlive(content)) {
      await takeStale(file, content);
      continue;
    } else if (!told) {
      opts.onWait?.(holder);
      told = true;
    }
    if (Date.now() > deadline)
      throw failure('ERR_JRT_LOCKED', `another jrt (pid ${holder}) is installing ${name}`, {
        hint: `wait for it to finish, or remove ${file} if that process is gone`,
      });
    await sleep(100);
  }
}

async function takeStale(file: string, staleContent: string): Promise<void> {
  const aside = `${file}.stale.${process.pid}`;
  try {
    await rename(file, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== staleContent && holderAlive(moved)) {
    // We raced and moved a fresh lock: put it back unless a newer one is already there.
    await link(aside, file).catch(() => {});
  }
  await rm(aside, { force: true });
}
