/**
 * The names of the entries jrt keeps in the runtimes root for Joblet (docs/joblet.md, "Spec
 * entries"), which are not runtimes: jrt's own listing skips them. Pure and tiny: `jrt exec` lists
 * the root on every start.
 *
 * - A *spec directory* `<root>/<language>/<language>:<version>[+tag...]/`: a runtime.yml whose `name`
 *   is that spec, so Joblet's by-name pass picks the runtime jrt resolves the spec to. Every such name
 *   has a `:`, which no runtime name has (runtime names are `[A-Za-z0-9._+-]`).
 * - A *spec link* `<root>/<spec>` → `<language>/<name>`: what Joblet's server-side environment lookup
 *   reads (`<base_path>/<spec>/runtime.yml`, the spec as submitted). A symlink at the top whose target
 *   is exactly two relative components; Joblet's scan skips symlinks, and so does jrt's listing.
 */

/** A spec as jrt writes it for a runtime: `language:version`, then its tags, sorted, each after `+`. */
export function specOf(language: string, version: string, tags: readonly string[]): string {
  return [`${language}:${version}`, ...[...tags].sort()].join('+');
}

/** A spec directory's name (inside a language directory): never a runtime. */
export function isSpecDirName(entry: string): boolean {
  return entry.includes(':');
}

const LINK_TARGET = /^[A-Za-z0-9][^/]*\/[A-Za-z0-9][^/]*$/;

/**
 * Whether a top-level symlink is one jrt makes: its target is `<language>/<name>`, and its own name
 * is a spec (it has a `:`) or that same `<name>`. An operator's own link (`python3 ->
 * python/python-3.11-ml`) is neither, and jrt never removes or replaces it.
 */
export function isSpecLink(name: string, target: string): boolean {
  if (!LINK_TARGET.test(target)) return false;
  return name.includes(':') || target.slice(target.indexOf('/') + 1) === name;
}
