/**
 * The one owner of what is installed: listing the runtimes under the root and resolving a
 * `--runtime` spec or a name to one of them. `jrt exec` and `jrt runtime info|verify|remove` both
 * come here (the installer adds size and manifest on top, in installer/installed.ts). Parsing and
 * matching are pure; `listInstalled` reads the disk. On the `jrt exec` hot path: no yaml, ajv, execa
 * or undici at import time (runtime.yml's parser is loaded only when runtime.json is not the one
 * derived from the runtime.yml beside it: see core/runtime-identity.ts).
 */
import { type Dirent, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { usageError } from '../core/errors.js';
import { readCappedSync } from '../core/read-capped.js';
import { MAX_DESCRIPTION_BYTES, RUNTIME_JSON, RUNTIME_YML, type RuntimeYml } from '../core/runtime-format.js';
import { isMapping, trustedRuntimeJson, YML_DIGEST_KEY } from '../core/runtime-identity.js';
import { sha256Hex } from '../core/sha256.js';
import { closestNames } from '../core/suggest.js';
import { isSpecDirName, isSpecLink } from '../joblet/spec-names.js';

/** An installed runtime: where it lives and the fields spec resolution needs. */
export interface InstalledRuntime {
  /** `<root>/<language>/<name>` as listed (may be a symlink to a versioned directory). */
  dir: string;
  name: string;
  language: string;
  version: string;
  tags: string[];
  aliases: string[];
  /** Where it was found (listInstalled); undefined means jrt's own `<language>/<name>/`. */
  layout?: RuntimeLayout;
}

export type RuntimeSpec =
  | { kind: 'lang'; language: string; version: string | undefined; tags: string[] }
  | { kind: 'name'; name: string; version: string | undefined };

const SPEC_CHARS = /^[A-Za-z0-9.:+@_-]+$/;

/** Parse `python:3.11+ml`, `java:17`, `python-3.11-ml`, `name@version`. Throws a usage error. */
export function parseRuntimeSpec(spec: string): RuntimeSpec {
  if (!SPEC_CHARS.test(spec)) {
    throw usageError(
      'ERR_JRT_BAD_RUNTIME_SPEC',
      `invalid --runtime '${spec.replace(/[^\x20-\x7e]/g, '?')}': only letters, digits and . : + @ _ - are allowed`,
      'examples: --runtime=python:3.11+ml, --runtime=java:17, --runtime=node-18',
    );
  }
  const bad = (why: string) =>
    usageError(
      'ERR_JRT_BAD_RUNTIME_SPEC',
      `invalid --runtime '${spec}': ${why}`,
      'examples: python:3.11+ml, java:17',
    );
  if (spec.includes(':')) {
    const [language, rest, extra] = spec.split(':');
    if (extra !== undefined || !language) throw bad('expected LANGUAGE:VERSION[+TAG...]');
    const [version, ...tags] = (rest ?? '').split('+');
    if (tags.some((t) => t === '') || version?.includes('@')) throw bad('empty tag or misplaced @');
    return { kind: 'lang', language, version: version || undefined, tags: [...tags].sort() };
  }
  const at = spec.split('@');
  if (at.length > 2 || !at[0] || at[1] === '' || spec.includes('+'))
    throw bad('expected NAME or NAME@VERSION');
  return { kind: 'name', name: at[0], version: at[1] };
}

/** Compare versions numerically part by part (1.10 > 1.9); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** `17` matches 17, 17.0.2; `3.11` matches 3.11, 3.11.4 but not 3.110. */
export function versionMatches(wanted: string | undefined, actual: string): boolean {
  return wanted === undefined || actual === wanted || actual.startsWith(`${wanted}.`);
}

function sameTags(a: string[], b: string[]): boolean {
  const sb = [...b].sort();
  return a.length === sb.length && [...a].sort().every((t, i) => t === sb[i]);
}

/**
 * The runtimes a parsed spec matches. An exact name always beats an alias: aliases count only when
 * no name matches. A runtime in jrt's layout beats one of the same name in Joblet's others, as it
 * does under Joblet (`<base>/<language>/` sorts before `<base>/<language>-...`): installing jrt's
 * replaces theirs.
 */
function specMatches<T extends InstalledRuntime>(parsed: RuntimeSpec, installed: T[]): T[] {
  if (parsed.kind === 'lang')
    return installed.filter(
      (r) =>
        r.language === parsed.language &&
        versionMatches(parsed.version, r.version) &&
        sameTags(parsed.tags, r.tags),
    );
  const byVersion = (rs: T[]) => rs.filter((r) => versionMatches(parsed.version, r.version));
  const sameName = installed.filter((r) => r.name === parsed.name);
  if (sameName.length === 0) return byVersion(installed.filter((r) => r.aliases.includes(parsed.name)));
  const ours = byVersion(sameName.filter((r) => (r.layout ?? 'language') === 'language'));
  // NAME@VERSION still reaches a runtime of Joblet's layouts whose version jrt's does not have (as
  // Joblet's by-name pass does): how the old one is named for removal (docs/joblet.md).
  return ours.length > 0 ? ours : byVersion(sameName);
}

/** The runtime a spec names: the newest matching version, or a usage error naming what is installed. */
export function resolveRuntimeSpec<T extends InstalledRuntime>(spec: string, installed: T[]): T {
  const parsed = parseRuntimeSpec(spec);
  const matches = specMatches(parsed, installed);
  const best = matches.sort(
    (a, b) => compareVersions(b.version, a.version) || a.name.localeCompare(b.name),
  )[0];
  if (best) return best;
  const names = installed.map((r) => r.name).sort();
  const close = closestNames(spec, installed).join(', ');
  throw usageError(
    'ERR_JRT_RUNTIME_NOT_FOUND',
    `no installed runtime matches '${spec}'`,
    names.length === 0
      ? "no runtimes are installed (see 'jrt install --help')"
      : `installed: ${names.join(', ')}${close ? `; closest: ${close}` : ''}`,
  );
}

/**
 * A runtime's description. runtime.yml is the truth (Joblet reads it); runtime.json is used only
 * when it carries the sha256 of these very runtime.yml bytes (the installer derives it so), else the
 * YAML parser is loaded and runtime.yml parsed. No runtime.yml: ENOENT, not a runtime. Both are
 * read only up to MAX_DESCRIPTION_BYTES. Throws unless the description is a mapping.
 */
export async function readRuntimeDescription(
  dir: string,
  opts: { trustStamp?: boolean } = {},
): Promise<RuntimeYml> {
  if (opts.trustStamp) {
    const stamped = stampedRuntimeJson(dir);
    if (stamped) return stamped;
  }
  const ymlBytes = readCappedSync(path.join(dir, RUNTIME_YML), MAX_DESCRIPTION_BYTES);
  let doc: unknown;
  try {
    const json = readCappedSync(path.join(dir, RUNTIME_JSON), MAX_DESCRIPTION_BYTES);
    doc = trustedRuntimeJson(JSON.parse(json.toString('utf8')), sha256Hex(ymlBytes));
  } catch {}
  if (doc === undefined) {
    const { parse } = await import('yaml');
    doc = parse(ymlBytes.toString('utf8'));
  }
  if (!isMapping(doc)) throw new Error(`the runtime description in ${dir} is not a mapping`);
  return doc as unknown as RuntimeYml;
}

/**
 * `trustStamp`: a runtime.json that carries a stamp (jrt installed it: derived from runtime.yml) is
 * taken as it says, without reading runtime.yml or hashing it. `jrt exec` lists every installed
 * runtime this way on each start (hashing each cost ≈ 0.2–1.3 ms), and then reads the one it chose
 * with the stamp checked (prepare.ts), falling back to a fully checked listing when that runtime's
 * runtime.yml changed after it was stamped. runtime.yml must still exist: without it, not a runtime.
 */
function stampedRuntimeJson(dir: string): RuntimeYml | undefined {
  try {
    if (!statSync(path.join(dir, RUNTIME_YML)).isFile()) return undefined;
    const json: unknown = JSON.parse(
      readCappedSync(path.join(dir, RUNTIME_JSON), MAX_DESCRIPTION_BYTES).toString('utf8'),
    );
    if (!isMapping(json) || typeof json[YML_DIGEST_KEY] !== 'string') return undefined;
    const { [YML_DIGEST_KEY]: _, ...rest } = json;
    return rest as unknown as RuntimeYml;
  } catch {
    return undefined;
  }
}

/** Whether two descriptions name the same runtime the same way (what resolving a spec reads). */
export function sameIdentity(a: RuntimeYml | undefined, b: RuntimeYml | undefined): boolean {
  const key = (r: RuntimeYml | undefined) =>
    JSON.stringify([r?.name, r?.language, r?.version, r?.full_version, r?.tags, r?.aliases]);
  return key(a) === key(b);
}

/**
 * Where a runtime was found under the root: jrt's own `<root>/<language>/<name>/` (also the first
 * Joblet runtime system's), Joblet's builder's `<root>/<name>/<version>/`, or its setup scripts'
 * flat `<root>/<name>/`.
 */
export type RuntimeLayout = 'language' | 'name-version' | 'flat';

/** A listed runtime with the description it was read from. */
export interface ListedRuntime extends InstalledRuntime {
  layout: RuntimeLayout;
  /** Its description (readRuntimeDescription); undefined when it could not be read (see `problem`). */
  runtime: RuntimeYml | undefined;
  /** Why the description could not be read; only with `{ unreadable: true }`. */
  problem?: string;
}

const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
const nameField = (v: unknown): string | undefined =>
  typeof v === 'string' && VALID_NAME.test(v) ? v : undefined;

interface Found {
  dir: string;
  real: string;
  link: boolean;
  rt?: RuntimeYml;
  problem?: string;
}

/** `dir` as a runtime: its description, or why it cannot be read; undefined when it is not one (no runtime.yml). */
async function probe(
  dir: string,
  real: string,
  link: boolean,
  opts: { unreadable?: boolean; trustStamps?: boolean },
): Promise<Found | undefined> {
  try {
    return {
      dir,
      real,
      link,
      rt: await readRuntimeDescription(dir, { trustStamp: opts.trustStamps === true }),
    };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || opts.unreadable !== true) return undefined;
    return { dir, real, link, problem: `cannot read its runtime description: ${(e as Error).message}` };
  }
}

/**
 * Every runtime under the root, in the three layouts (RuntimeLayout), the way Joblet scans too: a
 * top-level directory with a runtime.yml is a flat runtime; each of its subdirectories with one is a
 * runtime in `<language>/<name>/` or, when its runtime.yml's `name` is the top directory's name,
 * `<name>/<version>/`. The name is runtime.yml's `name` (the directory's when it has none), the
 * language runtime.yml's `language` (else the `<language>` directory, or the name up to its first
 * `-`). Hidden entries (staging, `.jrt`) and jrt's spec entries for Joblet (joblet/spec-names.ts:
 * not runtimes) are skipped, and a directory that a sibling symlink points
 * to (a versioned target) is listed once, under the symlink's name. A directory without runtime.yml
 * is not a runtime (Joblet agrees). One whose description exists but cannot be read or parsed is
 * skipped too (a job cannot run there), unless `unreadable` asks for it: `jrt runtime list|verify`
 * must still show a damaged runtime. `trustStamps`: see stampedRuntimeJson (jrt exec only).
 */
export async function listInstalled(
  root: string,
  opts: { unreadable?: boolean; trustStamps?: boolean } = {},
): Promise<ListedRuntime[]> {
  const out: ListedRuntime[] = [];
  for (const e of direntsOrEmpty(root).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const top = e.name;
    if (top.startsWith('.') || isSpecEntry(root, e)) continue;
    const topDir = path.join(root, top);
    const realTop = realpathOr(topDir, undefined);
    if (realTop === undefined) continue;
    const flat = await probe(topDir, realTop, false, opts);
    if (flat) out.push(listed(flat, 'flat', top, undefined));
    const found: Found[] = [];
    for (const entry of readdirOrEmpty(topDir).sort()) {
      if (entry.startsWith('.') || isSpecDirName(entry)) continue;
      const dir = path.join(topDir, entry);
      const real = realpathOr(dir, undefined);
      if (real === undefined) continue;
      const f = await probe(dir, real, real !== path.join(realTop, entry), opts);
      if (f) found.push(f);
    }
    const targetsOfLinks = new Set(found.filter((f) => f.link).map((f) => f.real));
    for (const f of found) {
      if (!f.link && targetsOfLinks.has(f.real)) continue;
      const byVersion = nameField(f.rt?.name) === top;
      out.push(
        listed(f, byVersion ? 'name-version' : 'language', byVersion ? top : path.basename(f.dir), top),
      );
    }
  }
  return out;
}

function listed(
  f: Found,
  layout: RuntimeLayout,
  dirName: string,
  languageDir: string | undefined,
): ListedRuntime {
  const name = nameField(f.rt?.name) ?? dirName;
  const language =
    nameField(f.rt?.language) ??
    (layout === 'language' && languageDir ? languageDir : (name.split('-')[0] ?? name));
  return {
    dir: f.dir,
    name,
    language,
    version: fullVersion(f.rt),
    tags: Array.isArray(f.rt?.tags) ? f.rt.tags.map(String) : [],
    aliases: Array.isArray(f.rt?.aliases) ? f.rt.aliases.map(String) : [],
    layout,
    runtime: f.rt,
    ...(f.problem ? { problem: f.problem } : {}),
  };
}

/** The version jrt resolves by: `full_version` when runtime.yml has one (`version` is then what specs name). */
export function fullVersion(rt: { version?: unknown; full_version?: unknown } | undefined): string {
  const full = rt?.full_version;
  return typeof full === 'string' && full !== '' ? full : String(rt?.version ?? '');
}

/** jrt's spec entries for Joblet (joblet/spec-names.ts): a spec directory or a top-level spec link. */
function isSpecEntry(root: string, e: Dirent): boolean {
  if (isSpecDirName(e.name)) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return isSpecLink(e.name, readlinkSync(path.join(root, e.name)));
  } catch {
    return false;
  }
}

// Synchronous, like readRuntimeDescription's reads: this runs on every job's start.
function direntsOrEmpty(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function realpathOr<T>(p: string, fallback: T): string | T {
  try {
    return realpathSync.native(p);
  } catch {
    return fallback;
  }
}
