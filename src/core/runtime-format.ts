/**
 * The formats other programs read. runtime.yml is read by Joblet: its fields below keep their names
 * and meaning; jrt only adds fields. manifest.json is read by `jrt runtime verify`.
 * runtime.json is runtime.yml's content in JSON, derived from it at install time and stamped with
 * the sha256 of its bytes, so `jrt exec` need not load a YAML parser (core/runtime-identity.ts).
 */

export interface RuntimeMount {
  /** Relative to the runtime's directory; must stay inside it. */
  source: string;
  /** Absolute path inside the job. */
  target: string;
  readonly: boolean;
  /** Mount only these entries of `source` (file names relative to it). */
  selective?: string[];
}

export interface RuntimeRequirements {
  architectures: string[];
  min_memory?: string;
  recommended_memory?: string;
  gpu?: boolean;
}

export interface RuntimeYml {
  name: string;
  language: string;
  version: string;
  description: string;
  mounts: RuntimeMount[];
  /** `PATH_PREPEND` means "prepend to PATH". */
  environment: Record<string, string>;
  package_manager?: { type: string; cache_volume?: string };
  requirements: RuntimeRequirements;
  // Fields added by jrt (Joblet ignores them).
  /**
   * The exact version (`18.20.8`) when `version` is only what specs name (`18`): Joblet matches
   * `version` exactly, jrt resolves `node:18` to the newest 18.x and NAME@FULL_VERSION by this one.
   * Absent in runtimes of jrt ≤ 0.2.0, whose `version` is the full one.
   */
  full_version?: string;
  tags: string[];
  aliases: string[];
  /** File extension (".java") → argv prefix (["java"]). */
  entrypoints: Record<string, string[]>;
  build_info: {
    jrt_version: string;
    built_at: string;
    base: string;
    recipe_digest: string;
    lock_digest: string;
  };
}

export interface ManifestFile {
  path: string;
  /** "file" | "dir" | "symlink" */
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits, e.g. 0o755 as a number. */
  mode: number;
  size: number;
  /** sha256 hex of a file's bytes; absent for dirs and symlinks. */
  sha256?: string;
  /** Symlink target. */
  target?: string;
}

export interface Manifest {
  manifest_version: 1;
  name: string;
  version: string;
  jrt_version: string;
  recipe_digest: string;
  lock_digest: string;
  /** Total bytes of regular files. */
  total_size: number;
  /** Every entry of the runtime directory except manifest.json itself, sorted by path. */
  files: ManifestFile[];
}

/** The directory name of the runtime tree inside a runtime directory and an artifact. */
export const TREE_DIR = 'rootfs';
export const RUNTIME_YML = 'runtime.yml';
export const RUNTIME_JSON = 'runtime.json';
export const MANIFEST_JSON = 'manifest.json';

/**
 * Caps on what jrt reads whole from an artifact or an installed runtime, checked before a byte is
 * read (a gzip bomb of a runtime.yml once took 4.5 GB of memory). Real ones are a few KB, and a
 * manifest takes ~200 bytes per entry (16 MiB: ~80,000 entries); JSON.parse of 16 MiB of the worst
 * shape (`[{},{},…]`) costs ~400 MB of memory, of a manifest of real entries a few tens of MB.
 */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
export const MAX_DESCRIPTION_BYTES = 1024 * 1024;
export const ARTIFACT_SUFFIX = '.jrt.tar.gz';

export function artifactName(name: string, version: string): string {
  return `${name}-${version}${ARTIFACT_SUFFIX}`;
}
