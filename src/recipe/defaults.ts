/**
 * Fill in every optional field so callers get a complete Recipe. Runs only on data the schema
 * accepted, so the casts below describe, not assume.
 */
import { POCKETS, type Pocket, type Recipe, type Source } from './types.js';

type Raw = Record<string, unknown>;

export const DEFAULT_ARCHITECTURES = ['amd64'];

/** Suites that move every day have no pockets: sid gets its fixes as new versions of itself. */
const ROLLING = new Set(['sid', 'unstable', 'experimental']);

/** security and updates for a stable suite (bookworm, trixie, ...), none for sid. */
export function defaultPockets(suite: string): Pocket[] {
  return ROLLING.has(suite) ? [] : ['security', 'updates'];
}

/** One order whatever the recipe wrote, so the digest does not depend on it. */
export function canonicalPockets(pockets: Pocket[]): Pocket[] {
  return POCKETS.filter((p) => pockets.includes(p));
}

export function applyDefaults(raw: Raw): Recipe {
  const build = (raw.build ?? {}) as Raw;
  const runtime = raw.runtime as Raw;
  const strip = (runtime.strip ?? {}) as Raw;
  const requirements = (raw.requirements ?? {}) as Raw;
  const recipe: Recipe = {
    name: raw.name as string,
    language: raw.language as string,
    version: raw.version as string,
    spec_version: (raw.spec_version as string | undefined) ?? (raw.version as string),
    tags: (raw.tags as string[] | undefined) ?? [],
    description: raw.description as string,
    aliases: (raw.aliases as string[] | undefined) ?? [],
    base: raw.base as string,
    pockets: canonicalPockets((raw.pockets as Pocket[] | undefined) ?? defaultPockets(raw.base as string)),
    sources: (raw.sources as Source[] | undefined) ?? [],
    build: {
      packages: (build.packages as string[] | undefined) ?? [],
      environment: (build.environment as Record<string, string> | undefined) ?? {},
      steps: (build.steps as Recipe['build']['steps'] | undefined) ?? [],
    },
    runtime: {
      packages: runtime.packages as string[],
      exclude: (runtime.exclude as string[] | undefined) ?? [],
      paths: (runtime.paths as string[] | undefined) ?? [],
      strip: {
        docs: (strip.docs as boolean | undefined) ?? true,
        locales: (strip.locales as string[] | undefined) ?? [],
        static_libs: (strip.static_libs as boolean | undefined) ?? true,
        pycache: (strip.pycache as boolean | undefined) ?? false,
        paths: (strip.paths as string[] | undefined) ?? [],
      },
    },
    mounts: raw.mounts as Recipe['mounts'],
    environment: (raw.environment as Record<string, string> | undefined) ?? {},
    requirements: {
      ...(requirements as Partial<Recipe['requirements']>),
      architectures: (requirements.architectures as string[] | undefined) ?? [...DEFAULT_ARCHITECTURES],
    },
    entrypoints: (raw.entrypoints as Record<string, string[]> | undefined) ?? {},
    test: (raw.test as Recipe['test'] | undefined) ?? [],
  };
  if (raw.package_manager !== undefined)
    recipe.package_manager = raw.package_manager as Recipe['package_manager'];
  return recipe;
}
