/**
 * What an artifact claims to be, judged before it is installed. Every field spec resolution reads
 * (language, version, tags, aliases) must be a plain name — no control characters, nothing a
 * `--runtime` spec could not spell — and no name, alias or (language, version, tags) may already
 * belong to another installed runtime: otherwise `--runtime=java-17` could pick a stranger's binary.
 * Pure: the installer passes what is installed.
 */

import { printable } from '../core/printable.js';
import { isMapping } from '../core/runtime-identity.js';
import type { InstalledRuntime } from '../runner/resolve.js';

export interface Identity {
  name: string;
  language: string;
  version: string;
  tags: string[];
  aliases: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
const shown = (v: unknown) => printable(typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v)));

function nameList(yml: Record<string, unknown>, field: 'tags' | 'aliases', problems: string[]): string[] {
  const v = yml[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    problems.push(`${field} must be a list of names, not ${shown(v)}`);
    return [];
  }
  v.forEach((x, i) => {
    if (typeof x !== 'string' || !NAME.test(x))
      problems.push(`${field}[${i}] ${shown(x)} is not a name (letters, digits, . _ + -)`);
  });
  return v.map(String);
}

/** The identity runtime.yml claims for the runtime `name` (the manifest's), or what is wrong with it. */
export function identityOf(yml: unknown, name: string): { identity: Identity } | { problems: string[] } {
  if (!isMapping(yml)) return { problems: ['runtime.yml is not a mapping'] };
  const problems: string[] = [];
  const language = yml.language;
  if (typeof language !== 'string' || !NAME.test(language))
    problems.push(`language ${shown(language)} is not a name (letters, digits, . _ + -)`);
  // The version jrt resolves by (runner/resolve.ts: fullVersion): full_version when present.
  const claimed = yml.full_version ?? yml.version;
  const version = typeof claimed === 'number' ? String(claimed) : claimed;
  if (typeof version !== 'string' || !NAME.test(version))
    problems.push(`version ${shown(claimed)} is not a version (letters, digits, . _ + -)`);
  const tags = nameList(yml, 'tags', problems);
  const aliases = nameList(yml, 'aliases', problems);
  if (problems.length > 0) return { problems };
  return {
    identity: {
      name,
      language: language as string,
      version: version as string,
      tags: [...tags].sort(),
      aliases,
    },
  };
}

const sameTags = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((t, i) => t === [...b].sort()[i]);

/**
 * Each way `c` (to be installed at `dir`) collides with another installed runtime, as a sentence
 * naming both. The runtime at `dir` itself is the one being replaced, not a collision.
 */
export function findConflicts(c: Identity, dir: string, installed: InstalledRuntime[]): string[] {
  const out: string[] = [];
  for (const o of installed) {
    if (o.dir === dir) continue;
    // Runtimes in Joblet's other layouts were put there by the host's root, not by an artifact, and
    // lose to jrt's of the same name (runner/resolve.ts): installing over them is the migration path.
    if (o.layout !== undefined && o.layout !== 'language') continue;
    const other = `the installed runtime ${printable(o.name)} (${printable(o.dir)})`;
    if (o.name === c.name) out.push(`name '${c.name}' is also the name of ${other}`);
    else if (o.aliases.includes(c.name)) out.push(`name '${c.name}' is an alias of ${other}`);
    for (const a of new Set(c.aliases)) {
      if (a === c.name) continue;
      if (a === o.name) out.push(`alias '${a}' is the name of ${other}`);
      else if (o.aliases.includes(a)) out.push(`alias '${a}' is also an alias of ${other}`);
    }
    if (o.language === c.language && o.version === c.version && sameTags(o.tags, c.tags))
      out.push(
        `language ${c.language}, version ${c.version} and tags [${c.tags.join(', ')}] are also those of ${other}`,
      );
  }
  return out;
}
