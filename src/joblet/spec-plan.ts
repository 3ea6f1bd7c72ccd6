/**
 * Which spec entries the runtimes root must hold so that Joblet resolves jrt's specs as `jrt exec`
 * does (pure; the installer makes the disk match: installer/spec-entries.ts). Names: spec-names.ts.
 *
 * The rule: every jrt runtime's own spec `language:version[+tags]` (version = runtime.yml's `version`,
 * what specs name) gets a spec directory, and that spec and the runtime's name get a spec link; each
 * entry points at the runtime `jrt exec` resolves that spec to. Always, not only when a twin is
 * installed: Joblet's first pass (by name) then finds the spec directory before its second pass
 * (language + exact version, first in directory order, tags dropped) could pick another runtime,
 * whatever else is installed and however the names sort — and an entry depends only on jrt's own
 * resolution, so no install has to reason about which other runtimes make it necessary.
 */
import { RUNTIME_YML, type RuntimeYml } from '../core/runtime-format.js';
import { type InstalledRuntime, resolveRuntimeSpec } from '../runner/resolve.js';
import { specOf } from './spec-names.js';

/** An installed runtime as the planner needs it. */
export interface SpecCandidate extends InstalledRuntime {
  /** Installed by jrt in `<language>/<name>/` (a `.jrt-current`): only those get spec entries. */
  managed: boolean;
  /** The directory the runtime sits in under the root (`<root>/<languageDir>/<name>`). */
  languageDir: string;
  runtime: RuntimeYml | undefined;
}

export interface PlannedSpecDir {
  languageDir: string;
  spec: string;
  /** The runtime it stands for (its name; a sibling in languageDir). */
  target: string;
  /** The spec directory's runtime.yml (Joblet's fields of the target's, named by the spec). */
  yml: Record<string, unknown>;
  /** Entries of the spec directory, each a link to the same entry of the target. */
  links: string[];
}

export interface PlannedSpecLink {
  spec: string;
  /** Relative to the root: `<languageDir>/<name>`. */
  target: string;
}

export interface SpecPlan {
  dirs: PlannedSpecDir[];
  links: PlannedSpecLink[];
}

/** The field jrt adds to a spec directory's runtime.yml: which runtime it stands for. */
export const SPEC_OF = 'spec_of';

function resolveOrNone<T extends InstalledRuntime>(spec: string, installed: T[]): T | undefined {
  try {
    return resolveRuntimeSpec(spec, installed);
  } catch {
    return undefined;
  }
}

/** The runtime's own spec, when runtime.yml names a usable version. */
export function ownSpec(r: SpecCandidate): string | undefined {
  const v = r.runtime?.version;
  const version = typeof v === 'number' ? String(v) : v;
  if (typeof version !== 'string' || !/^[A-Za-z0-9._-]+$/.test(version)) return undefined;
  return specOf(r.language, version, r.tags);
}

/** The spec directory's runtime.yml: what Joblet reads of the target's, under the spec's name. */
export function specRuntimeYml(spec: string, target: SpecCandidate): Record<string, unknown> {
  const rt = target.runtime;
  const yml: Record<string, unknown> = {
    name: spec,
    language: target.language,
    // Not a version any spec parses to (tags are dropped there): Joblet's second pass never picks it.
    version: spec.slice(spec.indexOf(':') + 1),
    description: `${spec}: ${target.name} (a spec directory jrt keeps for Joblet)`,
    mounts: Array.isArray(rt?.mounts) ? rt.mounts : [],
    environment: rt?.environment ?? {},
  };
  if (rt?.package_manager) yml.package_manager = rt.package_manager;
  if (rt?.requirements) yml.requirements = rt.requirements;
  yml[SPEC_OF] = target.name;
  return yml;
}

/** The first component of each mount source: what the spec directory must link to. */
function linkedEntries(yml: Record<string, unknown>): string[] {
  const mounts = Array.isArray(yml.mounts) ? (yml.mounts as { source?: unknown }[]) : [];
  const first = mounts
    .map((m) => (typeof m?.source === 'string' ? m.source.split('/')[0] : undefined))
    // Never over the spec directory's own runtime.yml, never a dot entry (`.`, `..`, jrt's own).
    .filter((e): e is string => !!e && !e.startsWith('.') && e !== RUNTIME_YML);
  return [...new Set(first)].sort();
}

export function planSpecEntries(installed: SpecCandidate[]): SpecPlan {
  const usable = (r: SpecCandidate | undefined) => (r?.managed && r.layout === 'language' ? r : undefined);
  const dirs = new Map<string, PlannedSpecDir>();
  const links = new Map<string, PlannedSpecLink>();
  for (const r of installed.filter((x) => usable(x))) {
    const own = ownSpec(r);
    for (const spec of [own, r.name]) {
      if (spec === undefined || links.has(spec)) continue;
      const t = usable(resolveOrNone(spec, installed));
      if (t) links.set(spec, { spec, target: `${t.languageDir}/${t.name}` });
    }
    if (own === undefined || dirs.has(own)) continue;
    const t = usable(resolveOrNone(own, installed));
    if (!t) continue;
    const yml = specRuntimeYml(own, t);
    dirs.set(own, { languageDir: t.languageDir, spec: own, target: t.name, yml, links: linkedEntries(yml) });
  }
  const bySpec = <T extends { spec: string }>(a: T, b: T) => (a.spec < b.spec ? -1 : a.spec > b.spec ? 1 : 0);
  return { dirs: [...dirs.values()].sort(bySpec), links: [...links.values()].sort(bySpec) };
}
