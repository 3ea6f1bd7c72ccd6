/**
 * A lock is checked, not trusted: it is committed, may be edited by hand, and its fields reach host
 * paths (a .deb's file name), URLs and the build root. `checkLockShape` validates every field;
 * `lockDisagreements` holds the lock to the recipe, whose own pins win (its url and sha256, its
 * file's path, its npm package, version and integrity): a lock that disagrees is drift. Both pure.
 * Whether each package is in the suite's signed index is debian-index.ts's to check.
 */
import { strongestHash } from '../core/integrity.js';
import { POCKETS, type Recipe } from '../recipe/types.js';
import { type Lock, lockPockets } from './lock.js';

const HEX64 = /^[0-9a-f]{64}$/;
const DEB_NAME = /^[a-z0-9][a-z0-9+.-]{0,127}$/;
/** Debian's version syntax: [epoch:]upstream[-revision]; a colon only after the epoch. */
const DEB_VERSION = /^([0-9]{1,9}:)?[A-Za-z0-9][A-Za-z0-9.+~-]{0,127}$/;
const DEB_ARCH = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** A path below the mirror's root, in its pool: no `..`, `.` or empty components, no other bytes. */
const POOL_FILE = /^pool\/[A-Za-z0-9][A-Za-z0-9+._~-]*(\/[A-Za-z0-9][A-Za-z0-9+._~%-]*){1,8}\.deb$/;
const NPM_NAME = /^(@[a-z0-9][a-z0-9._~-]{0,213}\/)?[a-z0-9][a-z0-9._~-]{0,213}$/;
const SEMVER =
  /^(0|[1-9]\d{0,15})\.(0|[1-9]\d{0,15})\.(0|[1-9]\d{0,15})(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** A tarball path below the registry (`npm/-/npm-10.8.2.tgz`) or an http(s) URL. */
const TARBALL =
  /^(https?:\/\/[\x21-\x7e]+|[A-Za-z0-9@%_~+-][A-Za-z0-9@%._~+-]*(\/[A-Za-z0-9@%_~+-][A-Za-z0-9@%._~+-]*)*)$/;
const PRINTABLE = /^[\x21-\x7e]+$/;
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;
const SNAPSHOT = /^https:\/\/snapshot\.debian\.org\/archive\/debian\/\d{8}T\d{6}Z\/$/;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const size = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** The first problem of a lock's fields, as `field.path: message`, or undefined. */
export function checkLockShape(v: unknown): string | undefined {
  if (!isRec(v)) return 'must be an object';
  if (v.lock_version !== 1 && v.lock_version !== 2) return 'lock_version: must be 1 or 2';
  const v2 = v.lock_version === 2;
  if (v2) {
    if (!Array.isArray(v.pockets)) return 'pockets: must be an array';
    for (const [i, p] of v.pockets.entries())
      if (!(POCKETS as readonly unknown[]).includes(p) || v.pockets.indexOf(p) !== i)
        return `pockets[${i}]: must be security, updates or backports, each once`;
  } else if (v.pockets !== undefined) return 'pockets: only in a lock_version 2 lock';
  for (const k of ['recipe', 'inputs_digest', 'suite', 'architecture', 'resolved_at', 'snapshot'] as const) {
    if (typeof v[k] !== 'string') return `${k}: must be a string`;
  }
  const top: [string, RegExp, string][] = [
    ['recipe', /^[a-z0-9][a-z0-9.+-]{0,127}$/, 'must be a recipe name'],
    ['inputs_digest', /^sha256:[0-9a-f]{64}$/, 'must be sha256: and 64 hex digits'],
    ['suite', /^[a-z][a-z0-9-]{0,63}$/, 'must be a Debian suite name'],
    ['architecture', DEB_ARCH, 'must be a Debian architecture name'],
    ['resolved_at', ISO_DATE, 'must be a date'],
    ['snapshot', SNAPSHOT, 'must be a snapshot.debian.org archive address'],
  ];
  for (const [k, re, message] of top) if (!re.test(v[k] as string)) return `${k}: ${message}`;
  if (Number.isNaN(Date.parse(v.resolved_at as string))) return 'resolved_at: must be a date';
  for (const k of ['base', 'packages', 'sources'] as const) {
    if (!Array.isArray(v[k])) return `${k}: must be an array`;
  }
  const pockets = ['release', ...((v.pockets as unknown[] | undefined) ?? [])];
  for (const k of ['base', 'packages'] as const) {
    const seen = new Set<string>();
    for (const [i, p] of (v[k] as unknown[]).entries()) {
      const problem = debianInputProblem(p);
      if (problem) return `${k}[${i}]${problem}`;
      const pocket = (p as Rec).pocket;
      if (v2 ? !pockets.includes(pocket) : pocket !== undefined)
        return `${k}[${i}].pocket: must be ${v2 ? `one of the lock's: ${pockets.join(', ')}` : 'absent in a lock_version 1 lock'}`;
      const key = `${(p as Rec).package}:${(p as Rec).architecture}`;
      if (seen.has(key)) return `${k}[${i}]: ${key} is listed twice`;
      seen.add(key);
    }
  }
  for (const [i, s] of (v.sources as unknown[]).entries()) {
    const problem = sourceInputProblem(s);
    if (problem) return `sources[${i}]${problem}`;
  }
  return undefined;
}

function debianInputProblem(p: unknown): string | undefined {
  if (!isRec(p)) return ': must be an object';
  if (typeof p.package !== 'string' || typeof p.version !== 'string' || typeof p.filename !== 'string')
    return ': needs package, version and filename';
  if (!DEB_NAME.test(p.package)) return '.package: must be a Debian package name';
  if (!DEB_VERSION.test(p.version)) return '.version: must be a Debian version';
  if (typeof p.architecture !== 'string' || !DEB_ARCH.test(p.architecture))
    return '.architecture: must be a Debian architecture name';
  if (!POOL_FILE.test(p.filename) || p.filename.length > 512)
    return '.filename: must be a .deb path below the mirror (pool/...), without . or .. components';
  if (!size(p.size)) return '.size: must be a whole number of bytes';
  if (typeof p.sha256 !== 'string' || !HEX64.test(p.sha256)) return '.sha256: must be 64 hex digits';
  return undefined;
}

function sourceInputProblem(s: unknown): string | undefined {
  if (!isRec(s)) return ': must be an object';
  if (typeof s.sha256 !== 'string' || !HEX64.test(s.sha256)) return '.sha256: must be 64 hex digits';
  if (!size(s.size)) return '.size: must be a whole number of bytes';
  if (s.kind === 'npm') {
    if (typeof s.package !== 'string' || !NPM_NAME.test(s.package))
      return '.package: must be an npm package name';
    if (typeof s.version !== 'string' || !SEMVER.test(s.version)) return '.version: must be an exact version';
    if (
      typeof s.tarball !== 'string' ||
      s.tarball.length > 4096 ||
      !TARBALL.test(s.tarball) ||
      /(^|\/)\.\.?(\/|$)/.test(s.tarball)
    )
      return '.tarball: must be a path below the registry or an http(s) URL';
    if (typeof s.integrity !== 'string' || s.integrity.length > 4096) return '.integrity: must be a string';
    const strong = strongestHash(s.integrity);
    if ('problem' in strong) return `.integrity: ${strong.problem}`;
    return undefined;
  }
  if (s.kind !== 'url' && s.kind !== 'file') return '.kind: must be npm, url or file';
  if (typeof s.location !== 'string' || s.location.length > 4096 || !PRINTABLE.test(s.location))
    return '.location: must be a URL or a path without spaces or control characters';
  return undefined;
}

/**
 * Where a (well-formed) lock disagrees with its recipe: the recipe's own pins win over the lock's.
 * Each entry names the field. Empty when the lock may be used for this recipe.
 */
export function lockDisagreements(lock: Lock, recipe: Recipe): string[] {
  const out: string[] = [];
  if (lock.recipe !== recipe.name) out.push(`recipe: the lock is for '${lock.recipe}', not '${recipe.name}'`);
  if (lock.suite !== recipe.base)
    out.push(`suite: the lock says ${lock.suite}, the recipe's base is ${recipe.base}`);
  const pockets = lockPockets(lock);
  if (pockets.join(',') !== recipe.pockets.join(','))
    out.push(`pockets: the lock takes [${pockets.join(', ')}], the recipe [${recipe.pockets.join(', ')}]`);
  const locked = new Set([...lock.base, ...lock.packages].map((p) => p.package));
  for (const wanted of [...recipe.build.packages, ...recipe.runtime.packages]) {
    const name = wanted.replace(/:[a-z0-9]+$/, '');
    if (!locked.has(name)) out.push(`packages: ${name}, a package of the recipe, is not in the lock`);
  }
  if (lock.sources.length !== recipe.sources.length)
    out.push(`sources: the lock has ${lock.sources.length}, the recipe ${recipe.sources.length}`);
  for (const [i, source] of recipe.sources.entries()) {
    const input = lock.sources[i];
    if (!input) continue;
    const at = `sources[${i}]`;
    if (input.kind !== source.kind) {
      out.push(`${at}.kind: the lock says ${input.kind}, the recipe ${source.kind}`);
      continue;
    }
    if (source.kind === 'npm' && input.kind === 'npm') {
      if (input.package !== source.package || input.version !== source.version)
        out.push(
          `${at}: the lock pins ${input.package}@${input.version}, the recipe ${source.package}@${source.version}`,
        );
      if (source.integrity !== undefined && input.integrity !== source.integrity)
        out.push(`${at}.integrity: the lock says ${input.integrity}, the recipe pins ${source.integrity}`);
    } else if (source.kind !== 'npm' && input.kind !== 'npm') {
      const where = source.kind === 'url' ? source.url : source.path;
      if (input.location !== where)
        out.push(`${at}: the lock fetches ${input.location}, the recipe ${where}`);
      if (input.sha256 !== source.sha256)
        out.push(`${at}.sha256: the lock says ${input.sha256}, the recipe pins ${source.sha256}`);
    }
  }
  return out;
}
