/**
 * npm sources: the registry's version document names the tarball and its integrity; both are
 * attacker input as much as the tarball is. The tarball must come from the configured registry (or a
 * host the recipe lists in `tarball_hosts`), never from wherever a document or a lock points — that
 * was a request from the build host to any address. Every integrity is verified at its strongest
 * algorithm, and a weak or unknown one is refused.
 */
import { failure, usageError } from '../core/errors.js';
import { hashFile } from '../core/hash.js';
import { fetchJson } from '../core/http.js';
import { assertStrongIntegrity, integrityMismatch, type StrongestHash } from '../core/integrity.js';
import type { NpmSource } from '../recipe/types.js';
import type { BlobStore } from './blobs.js';
import type { NpmInput } from './lock.js';

interface NpmVersionDoc {
  dist?: { tarball?: unknown; integrity?: unknown };
}

export interface NpmContext {
  blobs: BlobStore;
  registry: string;
  offline?: boolean;
}

/** Why `url` may not be fetched as the tarball of a source allowing `allowedHosts`, or undefined. Pure. */
export function tarballUrlProblem(
  url: string,
  registry: string,
  allowedHosts: string[] = [],
): string | undefined {
  let u: URL;
  let reg: URL;
  try {
    u = new URL(url);
    reg = new URL(registry);
  } catch {
    return `'${printable(url)}' is not a URL`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `'${printable(url)}' is not an http(s) URL`;
  if (u.username || u.password) return `'${printable(url)}' carries credentials`;
  if (u.origin === reg.origin) return undefined;
  if (u.host === reg.host)
    return `'${printable(url)}' is on the registry's host but not at its origin ${reg.origin}`;
  if (!allowedHosts.includes(u.host))
    return `${u.host} is not the registry's host (${reg.host}); list it in the source's tarball_hosts to allow it`;
  if (u.protocol !== 'https:' && u.protocol !== reg.protocol) return `'${printable(url)}' must be https`;
  return undefined;
}

/** The tarball URL of a locked input: a path below the registry, or an absolute URL. */
export function lockedTarballUrl(input: Pick<NpmInput, 'tarball'>, registry: string): string {
  return /^[a-z]+:\/\//.test(input.tarball) ? input.tarball : `${registry}/${input.tarball}`;
}

function checkTarballUrl(url: string, source: NpmSource, registry: string): void {
  const why = tarballUrlProblem(url, registry, source.tarball_hosts);
  if (why)
    throw failure(
      'ERR_JRT_TARBALL_HOST',
      `npm ${source.package}@${source.version}: tarball refused: ${why}`,
      {
        hint: 'the registry (or the lock) points the download elsewhere; if that host is intended, add it to tarball_hosts in the recipe',
      },
    );
}

/** Resolve an npm source against the registry: its tarball fetched, verified and pinned. */
export async function resolveNpm(source: NpmSource, ctx: NpmContext): Promise<NpmInput> {
  const what = `npm ${source.package}@${source.version}`;
  const url = `${ctx.registry}/${source.package.replace('/', '%2f')}/${source.version}`;
  let doc: NpmVersionDoc;
  try {
    doc = await fetchJson<NpmVersionDoc>(url);
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_JRT_NOT_FOUND')
      throw usageError('ERR_JRT_NPM_NOT_FOUND', `${what} does not exist in ${ctx.registry}`);
    throw e;
  }
  const tarball = doc.dist?.tarball;
  const published = doc.dist?.integrity;
  if (typeof tarball !== 'string' || (published !== undefined && typeof published !== 'string'))
    throw failure(
      'ERR_JRT_NPM_METADATA',
      `${url}: no dist.tarball, or a dist.integrity that is not a string`,
    );
  const integrity = source.integrity ?? published;
  if (integrity === undefined) throw failure('ERR_JRT_NPM_METADATA', `${url}: no dist.integrity`);
  const pinned = assertStrongIntegrity(integrity, what);
  const theirs =
    published === undefined ? undefined : assertStrongIntegrity(published, `${url} dist.integrity`);
  if (theirs && contradicts(pinned, theirs))
    throw failure(
      'ERR_JRT_INTEGRITY_MISMATCH',
      `${what}: the recipe pins ${integrity} but the registry says ${published}`,
    );
  checkTarballUrl(tarball, source, ctx.registry);
  const got = await ctx.blobs.fetchUnknown(tarball, { integrity });
  const other =
    published !== undefined && published !== integrity
      ? integrityMismatch(published, got.sri, what)
      : undefined;
  if (other)
    throw failure(
      'ERR_JRT_INTEGRITY_MISMATCH',
      `${what}: the tarball matches the recipe's ${integrity} but not the registry's: ${other}`,
    );
  return {
    kind: 'npm',
    package: source.package,
    version: source.version,
    tarball: tarball.startsWith(`${ctx.registry}/`) ? tarball.slice(ctx.registry.length + 1) : tarball,
    integrity,
    size: got.size,
    sha256: got.sha256,
  };
}

/** Two pins of the same algorithm with no digest in common can never both match. */
function contradicts(a: StrongestHash, b: StrongestHash): boolean {
  return a.algorithm === b.algorithm && !a.digests.some((d) => b.digests.includes(d));
}

/**
 * The locked tarball in the blob cache, from an allowed host, verified against the lock's sha256
 * and size and the integrity (the recipe's, when it pins one: lock-check.ts holds the lock to it)
 * even when it was already cached.
 */
export async function fetchNpm(input: NpmInput, source: NpmSource, ctx: NpmContext): Promise<string> {
  const url = lockedTarballUrl(input, ctx.registry);
  checkTarballUrl(url, source, ctx.registry);
  const file = await ctx.blobs.fetch(url, input.sha256, {
    integrity: input.integrity,
    size: input.size,
    offline: ctx.offline,
  });
  const s = assertStrongIntegrity(input.integrity, `npm ${input.package}@${input.version}`);
  const actual = await hashFile(file, s.algorithm, 'base64');
  if (!s.digests.includes(actual))
    throw failure(
      'ERR_JRT_INTEGRITY_MISMATCH',
      `integrity mismatch for the cached ${file}: expected ${input.integrity}, got ${s.algorithm}-${actual}`,
    );
  return file;
}

const printable = (s: string) => s.slice(0, 200).replace(/[^\x20-\x7e]/g, '?');
