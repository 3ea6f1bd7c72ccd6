/**
 * Where Joblet and `jrt exec` part ways (pure): every documented spec and every installed name,
 * resolved by both sets of rules over the same runtimes root, and the installed runtimes Joblet
 * cannot tell apart. Each difference carries what to do about it.
 */
import path from 'node:path';
import type { RuntimeYml } from '../core/runtime-format.js';
import { type InstalledRuntime, resolveRuntimeSpec } from '../runner/resolve.js';
import { type JobletRuntime, type JobletTopEntry, jobletParseSpec, jobletResolve } from './rules.js';

/** The specs jrt's README and recipes document. */
export const DOCUMENTED_SPECS = [
  'node:18',
  'java:17',
  'java:21',
  'python:3.11+ml',
  'python:3.11',
  'python:3.13',
];

export interface SpecVerdict {
  spec: string;
  /** The runtime `jrt exec` runs (its name and directory), or undefined when it refuses. */
  jrt: { name: string; dir: string } | undefined;
  /** The runtime Joblet runs, or undefined when it finds none. */
  joblet: { name: string; dir: string } | undefined;
  same: boolean;
  /**
   * Where Joblet's server reads the job's environment (`<base>/<spec>/runtime.yml`): 'same' (jrt's
   * runtime's), 'missing', 'other' (another runtime's), or 'unneeded' (jrt's runtime sets none).
   * Absent when not checked. Counts against `same` unless 'same' or 'unneeded'.
   */
  environment?: 'same' | 'missing' | 'other' | 'unneeded';
  /** Why they differ and what to do; empty when they agree. */
  problem: string;
  fix: string;
}

export interface Clash {
  language: string;
  version: string;
  /** Runtime names Joblet reads with that language and version, in its scan order. */
  names: string[];
}

function jrtResolve(spec: string, installed: InstalledRuntime[]): InstalledRuntime | undefined {
  try {
    return resolveRuntimeSpec(spec, installed);
  } catch {
    return undefined;
  }
}

function explain(
  spec: string,
  jrt: InstalledRuntime | undefined,
  joblet: JobletRuntime | undefined,
  seen: JobletRuntime[],
): { problem: string; fix: string } {
  if (joblet?.specOf && !seen.some((r) => r.dir === joblet.dir))
    return {
      problem: `Joblet runs jrt's spec directory for ${joblet.name}, which is gone (removed by a tool that does not follow links, such as 'rnx runtime remove'): the job gets none of its mounts`,
      fix: "run 'jrt install' (any runtime): it removes the spec entries of runtimes that are gone",
    };
  if (jrt && !joblet) {
    const asJoblet = seen.find((r) => r.dir === jrt.dir);
    if (!asJoblet)
      return {
        problem: `jrt runs ${jrt.name} (${jrt.dir}); Joblet does not see that directory (a symlink, or deeper than <base>/<x>/<y>/)`,
        fix: `install ${jrt.name} with 'jrt install' so that it is a real directory under the runtimes root`,
      };
    const wanted = jobletParseSpec(spec).version;
    return {
      problem: `jrt runs ${jrt.name}; Joblet finds nothing: it matches version exactly and ${jrt.name}'s runtime.yml says version '${asJoblet.version}'${wanted ? ` where the spec names '${wanted}'` : ''}`,
      fix: `reinstall ${jrt.name} with this jrt ('jrt install ${jrt.name}': its runtime.yml says the version specs name), or name it in full (${jrt.name}) in Joblet jobs`,
    };
  }
  if (!jrt && joblet)
    return {
      problem: `jrt refuses '${spec}' (tags must match) but Joblet runs ${joblet.name}: it ignores tags`,
      fix: `do not submit '${spec}' to Joblet; name the runtime in full, or install the runtime the spec means`,
    };
  return {
    problem: `jrt runs ${jrt?.name}, Joblet runs ${joblet?.name}: Joblet ignores tags and aliases and takes the first match in directory order`,
    fix: `name the runtime in full (${jrt?.name}) in Joblet jobs, or remove ${joblet?.name} ('jrt runtime remove ${joblet?.name}') if no job needs it`,
  };
}

/** The runtime a Joblet pick stands for: a spec directory's target (a sibling), else itself. */
function standsFor(b: JobletRuntime): JobletRuntime {
  return b.specOf ? { ...b, name: b.specOf, dir: path.join(path.dirname(b.dir), b.specOf) } : b;
}

/** How to check Joblet's environment lookup: the real directory it reads for a spec, and a runtime's. */
export interface EnvironmentCheck {
  lookup: (spec: string) => string | undefined;
  real: (dir: string) => string | undefined;
}

type Described = InstalledRuntime & { runtime?: Pick<RuntimeYml, 'environment'> | undefined };

function environmentVerdict(spec: string, j: Described, env: EnvironmentCheck): SpecVerdict['environment'] {
  const vars = j.runtime?.environment;
  if (!vars || typeof vars !== 'object' || Object.keys(vars).length === 0) return 'unneeded';
  const read = env.lookup(spec);
  if (read === undefined) return 'missing';
  return read === env.real(j.dir) ? 'same' : 'other';
}

function explainEnvironment(spec: string, j: Described, verdict: SpecVerdict['environment']) {
  const vars = Object.keys(j.runtime?.environment ?? {}).join(', ');
  return {
    problem: `Joblet runs ${j.name} but takes the job's environment from <base>/${spec}/runtime.yml, which ${verdict === 'missing' ? 'does not exist' : `is not ${j.name}'s`}: the job gets none of ${vars} from it`,
    fix: `run 'jrt install' (any runtime): it makes the spec link <base>/${spec} -> ${j.name}`,
  };
}

/**
 * Both resolutions of each spec (documented ones, then every installed name), skipping specs neither
 * resolves; with `env`, also where Joblet's server reads the job's environment for it.
 */
export function compareResolution(
  installed: Described[],
  scan: JobletTopEntry[],
  specs: string[] = DOCUMENTED_SPECS,
  env?: EnvironmentCheck,
): SpecVerdict[] {
  const seen = scan.flatMap((t) => [...t.nested, ...(t.flat ? [t.flat] : [])]);
  const all = [...new Set([...specs, ...installed.map((r) => r.name).sort()])];
  const out: SpecVerdict[] = [];
  for (const spec of all) {
    const j = jrtResolve(spec, installed);
    const picked = jobletResolve(spec, scan);
    const b = picked && standsFor(picked);
    if (!j && !b) continue;
    const resolvedSame = !!j && !!b && j.dir === b.dir;
    const environment = resolvedSame && j && env ? environmentVerdict(spec, j, env) : undefined;
    const same =
      resolvedSame && (environment === undefined || environment === 'same' || environment === 'unneeded');
    const why = same
      ? { problem: '', fix: '' }
      : resolvedSame && j
        ? explainEnvironment(spec, j, environment)
        : explain(spec, j, b, seen);
    out.push({
      spec,
      jrt: j && { name: j.name, dir: j.dir },
      joblet: b && { name: b.name, dir: b.dir },
      same,
      ...(environment ? { environment } : {}),
      ...why,
    });
  }
  return out;
}

/**
 * Runtimes Joblet reads with the same language and version (it has no tags), so that `lang:version`
 * reaches only the first — unless each has a spec directory of jrt's (spec-plan.ts), which Joblet
 * finds by the spec's name first: a clash is reported only when one of them has none.
 */
export function jobletClashes(scan: JobletTopEntry[]): Clash[] {
  const all = scan.flatMap((t) => [...t.nested, ...(t.flat ? [t.flat] : [])]);
  const covered = new Set(all.filter((r) => r.specOf).map((r) => path.join(path.dirname(r.dir), r.specOf!)));
  const groups = new Map<string, JobletRuntime[]>();
  for (const r of all) {
    if (!r.language || !r.version || r.specOf) continue;
    const key = `${r.language}\0${r.version}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()]
    .filter((g) => new Set(g.map((r) => r.name)).size > 1 && g.some((r) => !covered.has(r.dir)))
    .map((g) => ({ language: g[0]!.language, version: g[0]!.version, names: g.map((r) => r.name) }));
}

/** One sentence per clash, with what to do: for `jrt install` and `jrt doctor --joblet`. */
export function clashWarning(c: Clash): string {
  const [first, ...rest] = c.names;
  return (
    `Joblet cannot tell ${c.names.join(' and ')} apart (language '${c.language}', version '${c.version}'; it ignores tags): ` +
    `'${c.language}:${c.version}+TAG' runs ${first} under Joblet. Submit Joblet jobs with the full name (${rest.join(', ')}), ` +
    `or keep only one of them on a Joblet host`
  );
}
