/**
 * npm, url and file sources: resolved into pinned inputs, fetched into the blob cache, and unpacked
 * into the build root before the steps run.
 */
import path from 'node:path';
import { failure, usageError } from '../core/errors.js';
import { fetchJson } from '../core/http.js';
import type { Source } from '../recipe/types.js';
import type { BlobStore } from './blobs.js';
import type { SourceInput, UrlInput } from './lock.js';

interface NpmVersionDoc {
  dist?: { tarball?: string; integrity?: string };
}

export interface SourceContext {
  blobs: BlobStore;
  registry: string;
  mirror: string;
  recipeDir: string;
  offline?: boolean;
}

/**
 * URLs may name the host's Debian mirror or npm registry as $DEBIAN_MIRROR / $NPM_REGISTRY, so a
 * recipe that fetches from them follows the host's configuration like every other input. Pure.
 */
export function expandSourceUrl(url: string, ctx: { mirror: string; registry: string }): string {
  return url.replace(/^\$DEBIAN_MIRROR(?=\/)/, ctx.mirror).replace(/^\$NPM_REGISTRY(?=\/)/, ctx.registry);
}

export async function resolveSource(source: Source, ctx: SourceContext): Promise<SourceInput> {
  switch (source.kind) {
    case 'npm': {
      const url = `${ctx.registry}/${source.package.replace('/', '%2f')}/${source.version}`;
      let doc: NpmVersionDoc;
      try {
        doc = await fetchJson<NpmVersionDoc>(url);
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_JRT_NOT_FOUND') {
          throw usageError(
            'ERR_JRT_NPM_NOT_FOUND',
            `npm package ${source.package}@${source.version} does not exist in ${ctx.registry}`,
          );
        }
        throw e;
      }
      const tarball = doc.dist?.tarball;
      const integrity = source.integrity ?? doc.dist?.integrity;
      if (!tarball || !integrity)
        throw failure('ERR_JRT_NPM_METADATA', `${url}: no dist.tarball or dist.integrity`);
      if (source.integrity && doc.dist?.integrity && source.integrity !== doc.dist.integrity) {
        throw failure(
          'ERR_JRT_INTEGRITY_MISMATCH',
          `npm ${source.package}@${source.version}: the recipe pins ${source.integrity} but the registry says ${doc.dist.integrity}`,
        );
      }
      const got = await ctx.blobs.fetchUnknown(tarball, { integrity });
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
    case 'url': {
      const file = await ctx.blobs.fetch(expandSourceUrl(source.url, ctx), source.sha256);
      return { kind: 'url', location: source.url, sha256: source.sha256, size: await sizeOf(file) };
    }
    case 'file': {
      const file = await ctx.blobs.addFile(path.resolve(ctx.recipeDir, source.path), source.sha256);
      return { kind: 'file', location: source.path, sha256: source.sha256, size: await sizeOf(file) };
    }
  }
}

/** Ensure the locked input is in the blob cache; returns its path there. */
export async function fetchSource(input: SourceInput, ctx: SourceContext): Promise<string> {
  if (input.kind === 'npm') {
    const url = /^[a-z]+:\/\//.test(input.tarball) ? input.tarball : `${ctx.registry}/${input.tarball}`;
    return ctx.blobs.fetch(url, input.sha256, { integrity: input.integrity, offline: ctx.offline });
  }
  if (input.kind === 'file') {
    if (await ctx.blobs.has(input.sha256)) return ctx.blobs.pathOf(input.sha256);
    return ctx.blobs.addFile(path.resolve(ctx.recipeDir, input.location), input.sha256);
  }
  return ctx.blobs.fetch(expandSourceUrl((input as UrlInput).location, ctx), input.sha256, {
    offline: ctx.offline,
  });
}

/** Shell lines that place a fetched source at its destination inside the build root. Pure. */
export function unpackScript(source: Source, blobPathInRoot: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const dest = source.dest;
  const strip = source.kind === 'npm' ? 1 : (source.strip_components ?? 0);
  const name =
    source.kind === 'url'
      ? (source.url.split(/[?#]/)[0] ?? '')
      : source.kind === 'file'
        ? source.path
        : 'x.tgz';
  const archive =
    source.kind === 'npm' || /\.(tar|tgz|tar\.gz|tar\.xz|txz|tar\.bz2|tbz2|tar\.zst)$/.test(name);
  if (!archive) return `mkdir -p ${q(path.posix.dirname(dest))} && cp ${q(blobPathInRoot)} ${q(dest)}`;
  return `mkdir -p ${q(dest)} && tar --extract --file ${q(blobPathInRoot)} --directory ${q(dest)} --strip-components=${strip} --no-same-owner`;
}

async function sizeOf(file: string): Promise<number> {
  const { stat } = await import('node:fs/promises');
  return (await stat(file)).size;
}
