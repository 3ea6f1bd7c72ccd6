/**
 * `jrt uninstall`: what goes and what stays. jrt removes only what it knows it made — runtimes it
 * installed (a `.jrt-current` link in `<root>/<language>/<name>`), their version and staging
 * directories, the spec directories and links it keeps for Joblet (joblet/spec-names.ts), and the entries of its cache, state and log directories that it writes — and keeps
 * anything else found there, naming it. A directory left empty goes too, unless it is a mount
 * point. Pure: the listing comes from gather.ts.
 */

import { isSpecDirName } from '../joblet/spec-names.js';
import { ROTATED_JOBS } from '../runner/jobs.js';

/** The entries jrt writes in each of its directories (see the modules that write them). */
export const JRT_ENTRIES = {
  cache: ['blobs', 'bases', 'artifacts', 'tmp'],
  state: ['locks', 'jobs', 'volumes', 'joblet-config.json'],
  log: ['jobs.jsonl', ROTATED_JOBS, /^build-.+\.log$/],
} as const;

export const ROOT_ENTRIES = ['.jrt-staging'];
export const LANGUAGE_ENTRIES = ['.jrt'];

export interface RuntimeEntry {
  name: string;
  /** Installed by jrt: `<name>/.jrt-current` is a symlink. */
  managed: boolean;
}

export interface Listing {
  root: {
    path: string;
    entries: string[];
    /** Top-level spec links jrt keeps for Joblet (joblet/spec-names.ts). */
    specLinks: string[];
    languages: { name: string; entries: RuntimeEntry[]; other: string[] }[];
  };
  dirs: Record<'cache' | 'state' | 'log', { path: string; entries: string[] }>;
  /** Directories that are mount points: never removed themselves. */
  mountPoints: ReadonlySet<string>;
  /** Named volumes in the state (job data), to say so before removing them. */
  volumes: string[];
}

export interface Removal {
  path: string;
  what: string;
}

export interface UninstallPlan {
  remove: Removal[];
  /** Directories removed once empty (deepest first). */
  prune: string[];
  keep: { path: string; why: string }[];
}

const ours = (name: string, known: readonly (string | RegExp)[]) =>
  known.some((k) => (typeof k === 'string' ? k === name : k.test(name)));

export function planUninstall(l: Listing): UninstallPlan {
  const plan: UninstallPlan = { remove: [], prune: [], keep: [] };
  const join = (a: string, b: string) => `${a.replace(/\/$/, '')}/${b}`;
  for (const lang of l.root.languages) {
    const dir = join(l.root.path, lang.name);
    for (const r of lang.entries) {
      if (r.managed)
        plan.remove.push({
          path: join(dir, r.name),
          what: isSpecDirName(r.name) ? `spec directory ${r.name} (for Joblet)` : `runtime ${r.name}`,
        });
      else plan.keep.push({ path: join(dir, r.name), why: 'not installed by jrt' });
    }
    for (const o of lang.other) {
      if (LANGUAGE_ENTRIES.includes(o))
        plan.remove.push({ path: join(dir, o), what: `versions of ${lang.name} runtimes` });
      else plan.keep.push({ path: join(dir, o), why: 'not made by jrt' });
    }
    plan.prune.push(dir);
  }
  for (const e of l.root.entries) {
    if (ROOT_ENTRIES.includes(e)) plan.remove.push({ path: join(l.root.path, e), what: 'install staging' });
    else if (l.root.specLinks.includes(e))
      plan.remove.push({ path: join(l.root.path, e), what: `spec link ${e} (for Joblet)` });
    else if (!l.root.languages.some((x) => x.name === e))
      plan.keep.push({ path: join(l.root.path, e), why: 'not made by jrt' });
  }
  plan.prune.push(l.root.path);
  for (const kind of ['cache', 'log', 'state'] as const) {
    const d = l.dirs[kind];
    for (const e of d.entries) {
      const p = join(d.path, e);
      if (!ours(e, JRT_ENTRIES[kind]))
        plan.keep.push({ path: p, why: `not written by jrt into its ${kind} directory` });
      else if (kind === 'state' && e === 'volumes')
        plan.remove.push({
          path: p,
          what: `job volumes${l.volumes.length > 0 ? ` (job data: ${l.volumes.join(', ')})` : ''}`,
        });
      else plan.remove.push({ path: p, what: `${kind}: ${e}` });
    }
    plan.prune.push(d.path);
  }
  plan.prune = plan.prune.filter((p) => {
    if (!l.mountPoints.has(p)) return true;
    plan.keep.push({ path: p, why: 'a mount point (its jrt contents are removed)' });
    return false;
  });
  return plan;
}
