/**
 * npm, url and file sources: resolved into pinned inputs, fetched into the blob cache, and unpacked
 * into the build root before the steps run.
 */
import path from 'node:path';
import type { Source } from '../recipe/types.js';
import type { BlobStore } from './blobs.js';
import type { NpmInput, SourceInput } from './lock.js';
import { fetchNpm, resolveNpm } from './npm-source.js';

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
    case 'npm':
      return resolveNpm(source, ctx);
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

/**
 * Ensure the locked input of `source` is in the blob cache; returns its path there. The recipe's own
 * pins win: a url or file source is fetched from the recipe's url or path by the recipe's sha256
 * (the lock only confirms them and caps the size); lock-check.ts refuses a lock that disagrees.
 */
export async function fetchSource(input: SourceInput, source: Source, ctx: SourceContext): Promise<string> {
  switch (source.kind) {
    case 'npm':
      return fetchNpm(input as NpmInput, source, ctx);
    case 'url':
      return ctx.blobs.fetch(expandSourceUrl(source.url, ctx), source.sha256, {
        offline: ctx.offline,
        size: input.size,
      });
    case 'file':
      if (await ctx.blobs.has(source.sha256)) return ctx.blobs.pathOf(source.sha256);
      return ctx.blobs.addFile(path.resolve(ctx.recipeDir, source.path), source.sha256);
  }
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
