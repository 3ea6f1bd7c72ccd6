/**
 * Whether an unprivileged user can reach a path: jobs (and smoke tests) run as the job user on the
 * host, and bwrap opens every mount source as that user, so each directory on the way must let it
 * pass. Checked up front to name the directory in the way, instead of bwrap's bare "Permission denied".
 */
import { statSync } from 'node:fs';
import path from 'node:path';

export interface Blocker {
  /** The directory the user cannot search. */
  dir: string;
  mode: number;
  owner: number;
}

/**
 * The first directory, from `/` down to `target` (itself included when it is a directory), that
 * `uid:gid` (no supplementary groups: setpriv clears them) may not search; undefined if none.
 * uid 0 is never blocked. Paths that do not exist are not blockers: whoever opens them reports that.
 */
export function searchBlocker(target: string, uid: number, gid: number): Blocker | undefined {
  if (uid === 0) return undefined;
  const parts = path.resolve(target).split('/').filter(Boolean);
  let dir = '/';
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) dir = path.join(dir, parts[i - 1] as string);
    let st: { mode: number; uid: number; gid: number; isDirectory(): boolean };
    try {
      st = statSync(dir);
    } catch {
      return undefined;
    }
    if (!st.isDirectory()) return undefined;
    const bit = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return { dir, mode: st.mode & 0o7777, owner: st.uid };
  }
  return undefined;
}

/** `dir (mode 0700, owner uid 0)` */
export function describeBlocker(b: Blocker): string {
  return `${b.dir} (mode ${b.mode.toString(8).padStart(4, '0')}, owner uid ${b.owner})`;
}
