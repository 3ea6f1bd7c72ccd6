/**
 * Joblet's runtime resolution, as rules of our own (pure). Read from upstream ehsaniara/joblet
 * (MIT), internal/joblet/runtime/resolver.go at 79cb02c / 2ea31b9, the resolver of the 05d8efb era:
 *
 * - The scan (`ListRuntimes`, `FindRuntimeDirectory`): the entries of `runtime.base_path` in name
 *   order (Go's os.ReadDir sorts), directories only — a symlink is not one (DirEntry.IsDir) — and
 *   hidden names are NOT skipped. Below each entry, its subdirectories in name order with a
 *   `runtime.yml` that parses are "nested" runtimes (`<base>/<x>/<y>/`); the entry's own
 *   `runtime.yml` is a "flat" one (`<base>/<x>/`), tried after the nested ones of that entry.
 *   runtime.yml is unmarshalled into Go strings, so a field holds the scalar's literal text
 *   (`version: 3.10` is "3.10"); tags, aliases and every field jrt adds are ignored.
 * - Pass one (by name): the spec up to `@` is compared with runtime.yml's `name`. With a version
 *   after `@` (not "latest") the first runtime with that exact `version` wins; without one, the
 *   highest semantic version among the nested name matches of the first top entry that has any
 *   (`findLatestVersion`), else that entry's flat runtime.
 * - Pass two (`parseRuntimeSpec` + `runtimeMatches`): `name@v` → (name, v); `lang:ver+tags` →
 *   (lang, ver), tags dropped; `a-b-c+t` → (a, b); `a-b` → (a, b); anything else → (text before the
 *   first `-`, any version). A runtime matches when `name` or `language` equals the first part and
 *   `version` equals the second exactly (no prefix match, no tags). The first match in scan order wins.
 * - The job's environment (`getRuntimeEnvironment` of the server's environment service, read at
 *   d61de67): `<base_path>/<spec>/runtime.yml` with the spec exactly as submitted (no parsing, no
 *   scan; Go's filepath.Join, so `a/../b` would be cleaned — jrt's specs have no `/`), through
 *   symlinks (os.ReadFile); missing means no runtime environment at all. Separately, the job's init
 *   writes the `environment` of the runtime.yml the resolver picked into /joblet/runtime.env.
 *
 * jrt makes both agree with its own resolution through spec entries (spec-plan.ts): a spec
 * directory named by the spec wins pass one; a spec link `<base>/<spec>` is what the lookup reads.
 */

/** What Joblet reads of one runtime.yml: literal scalar text, '' when absent. */
export interface JobletRuntime {
  /** Directory Joblet would run (`<base>/<x>/<y>` or `<base>/<x>`). */
  dir: string;
  name: string;
  language: string;
  version: string;
  /** A spec directory of jrt's: the runtime (a sibling directory's name) it stands for. Joblet ignores it. */
  specOf?: string | undefined;
}

/** Where Joblet's server reads a job's runtime environment from: `<base>/<spec>/runtime.yml`, relative to the base. */
export function jobletEnvironmentDir(spec: string): string {
  return spec;
}

/** One directory entry of the base path, as Joblet's scan sees it. */
export interface JobletTopEntry {
  nested: JobletRuntime[];
  flat?: JobletRuntime | undefined;
}

interface ParsedSpec {
  /** A language or a full name; undefined matches any. */
  first: string | undefined;
  /** undefined matches any version. */
  version: string | undefined;
}

const anyVersion = (v: string) => (v === '' || v === 'unknown' || v === 'latest' ? undefined : v);

/** `parseRuntimeSpec` of upstream, as rules. */
export function jobletParseSpec(spec: string): ParsedSpec {
  const at = spec.indexOf('@');
  if (at >= 0) return { first: spec.slice(0, at) || undefined, version: anyVersion(spec.slice(at + 1)) };
  const colon = spec.split(':');
  if (colon.length === 2)
    return { first: colon[0] || undefined, version: anyVersion((colon[1] ?? '').split('+')[0] ?? '') };
  if (spec.includes('+')) {
    const dash = (spec.split('+')[0] ?? '').split('-');
    if (dash.length >= 3) return { first: dash[0] || undefined, version: anyVersion(dash[1] ?? '') };
  }
  const dash = spec.split('-');
  if (dash.length === 2) return { first: dash[0] || undefined, version: anyVersion(dash[1] ?? '') };
  return { first: dash[0] || undefined, version: undefined };
}

/** `runtimeMatches` of upstream: name or language equal, then version equal (when one is asked). */
function jobletMatches(r: JobletRuntime, s: ParsedSpec): boolean {
  const versionOk = s.version === undefined || r.version === s.version;
  if (s.first === undefined) return versionOk;
  if (r.name === s.first) return versionOk;
  return r.language !== '' && r.language === s.first && versionOk;
}

/**
 * Upstream's pkg/semver is not in our reading; this takes what any semver parser accepts (an
 * optional `v`, one to three numeric parts, an optional `-pre`/`+build`) and orders by the numbers.
 */
function semverParts(v: string): number[] | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(v);
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : undefined;
}

function compareParts(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** `findLatestVersion`: the highest semver; a non-semver one only when it comes first and none beats it. */
function latest(matches: JobletRuntime[]): JobletRuntime | undefined {
  if (matches.length <= 1) return matches[0];
  let best: JobletRuntime | undefined;
  let bestParts: number[] | undefined;
  for (const m of matches) {
    const p = semverParts(m.version);
    if (!p) {
      if (!best) best = m;
      continue;
    }
    const greater = !bestParts || compareParts(p, bestParts) > 0;
    if (greater) {
      best = m;
      bestParts = p;
    }
  }
  return best;
}

/** The directory Joblet would run for `spec`, or undefined when it finds none. */
export function jobletResolve(spec: string, scan: JobletTopEntry[]): JobletRuntime | undefined {
  const at = spec.indexOf('@');
  const name = at >= 0 ? spec.slice(0, at) : spec;
  const wanted = at >= 0 ? anyVersion(spec.slice(at + 1)) : undefined;
  for (const top of scan) {
    const named = top.nested.filter((r) => r.name === name);
    if (wanted !== undefined) {
      const exact = named.find((r) => r.version === wanted);
      if (exact) return exact;
    } else if (named.length > 0) {
      const best = latest(named);
      if (best) return best;
    }
    const f = top.flat;
    if (f && f.name === name && (wanted === undefined || f.version === wanted)) return f;
  }
  const parsed = jobletParseSpec(spec);
  for (const top of scan) {
    const hit = top.nested.find((r) => jobletMatches(r, parsed));
    if (hit) return hit;
    if (top.flat && jobletMatches(top.flat, parsed)) return top.flat;
  }
  return undefined;
}
