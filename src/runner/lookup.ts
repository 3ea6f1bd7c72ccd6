/**
 * Finding the job's command the way the sandbox will see it, before starting it, so a missing
 * command exits 127 and a non-executable one 126 (bwrap itself reports both as status 1).
 * Paths are translated through the planned mounts; symlinks are followed inside the sandbox's view.
 */
// Synchronous lstat/readlink/stat: a handful of calls on the start path of every job, each cheaper
// than a round trip through libuv's thread pool.
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SandboxMount } from './plan.js';

export type Lookup = { found: string } | { missing: true } | { notExecutable: string } | { unknown: true };

/**
 * The host path behind an in-sandbox path; `virtual` for what lies on /proc, /dev or /tmp; `absent`
 * for a path no mount covers (bwrap's empty root: only directories leading to mount points exist).
 */
export function hostPathOf(mounts: SandboxMount[], inside: string): string | 'virtual' | 'absent' {
  let best: SandboxMount | undefined;
  for (const m of mounts) {
    if (inside === m.target || inside.startsWith(m.target === '/' ? '/' : `${m.target}/`)) {
      if (!best || m.target.length >= best.target.length) best = m;
    }
  }
  if (!best) return 'absent';
  if (!best.source) return 'virtual';
  return path.join(best.source, path.relative(best.target, inside));
}

/** Resolve symlinks component by component inside the sandbox's view; undefined when that cannot be known. */
async function resolveInside(mounts: SandboxMount[], inside: string): Promise<string | undefined> {
  let parts = inside.split('/').filter(Boolean);
  let done = '/';
  for (let hops = 0; parts.length > 0; ) {
    if (hops > 40) return undefined;
    const next = path.join(done, parts.shift() as string);
    const host = hostPathOf(mounts, next);
    if (host === 'virtual') return undefined;
    if (host === 'absent') {
      done = next;
      continue;
    }
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) {
      hops++;
      const target = readlinkSync(host);
      const abs = path.isAbsolute(target) ? target : path.join(done, target);
      parts = [...abs.split('/').filter(Boolean), ...parts];
      done = '/';
    } else done = next;
  }
  return done;
}

export async function lookupCommand(
  mounts: SandboxMount[],
  command: string,
  pathVar: string,
  cwd: string,
): Promise<Lookup> {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : pathVar.split(':').map((d) => path.join(d || cwd, command));
  let notExecutable: string | undefined;
  for (const candidate of candidates) {
    const resolved = await resolveInside(mounts, candidate);
    if (resolved === undefined) return { unknown: true };
    const host = hostPathOf(mounts, resolved);
    if (host === 'virtual') return { unknown: true };
    if (host === 'absent') continue;
    const st = statOrUndefined(host);
    if (!st) continue;
    if (st.isFile() && (st.mode & 0o111) !== 0) return { found: candidate };
    notExecutable ??= candidate;
  }
  return notExecutable ? { notExecutable } : { missing: true };
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}
