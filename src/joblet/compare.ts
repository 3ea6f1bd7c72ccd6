/**
 * Where Joblet and `jrt exec` part ways (pure): every documented spec and every installed name,
 * resolved by both sets of rules over the same runtimes root, and the installed runtimes Joblet
 * cannot tell apart. Each difference carries what to do about it.
 */
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

/** Both resolutions of each spec (documented ones, then every installed name), skipping specs neither resolves. */
export function compareResolution(
  installed: InstalledRuntime[],
  scan: JobletTopEntry[],
  specs: string[] = DOCUMENTED_SPECS,
): SpecVerdict[] {
  const seen = scan.flatMap((t) => [...t.nested, ...(t.flat ? [t.flat] : [])]);
  const all = [...new Set([...specs, ...installed.map((r) => r.name).sort()])];
  const out: SpecVerdict[] = [];
  for (const spec of all) {
    const j = jrtResolve(spec, installed);
    const b = jobletResolve(spec, scan);
    if (!j && !b) continue;
    const same = !!j && !!b && j.dir === b.dir;
    const why = same ? { problem: '', fix: '' } : explain(spec, j, b, seen);
    out.push({
      spec,
      jrt: j && { name: j.name, dir: j.dir },
      joblet: b && { name: b.name, dir: b.dir },
      same,
      ...why,
    });
  }
  return out;
}

/** Runtimes Joblet reads with the same language and version (it has no tags): only the first is reachable by `lang:version`. */
export function jobletClashes(scan: JobletTopEntry[]): Clash[] {
  const groups = new Map<string, JobletRuntime[]>();
  for (const r of scan.flatMap((t) => [...t.nested, ...(t.flat ? [t.flat] : [])])) {
    if (!r.language || !r.version) continue;
    const key = `${r.language}\0${r.version}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()]
    .filter((g) => new Set(g.map((r) => r.name)).size > 1)
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
