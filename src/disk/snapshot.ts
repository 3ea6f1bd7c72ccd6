/**
 * What exists in jrt's directories at one moment, as `jrt gc` and `jrt df` see it: gathered by
 * gather.ts (the only part that reads the disk), judged by gc-plan.ts (pure). Every path here was
 * found by listing a directory of jrt's own with lstat; nothing was followed through a symlink.
 */

/** One entry of a directory jrt owns: a file, or a tree summed without following symlinks. */
export interface Entry {
  path: string;
  /** Its name in the directory listed. */
  name: string;
  /** st_blocks × 512 of every inode below it, each counted once (what `du -sB1` says). */
  bytes: number;
  mtimeMs: number;
}

export interface InstalledName {
  language: string;
  name: string;
  /** <root>/<language>/<name> */
  path: string;
  /** The version directory its `.jrt-current` points at (absolute); absent for a plain directory. */
  current?: string;
  /** When `.jrt-current` last changed (its ctime): a job that started just before may not be recorded yet. */
  switchedAtMs?: number;
}

export interface VersionDir extends Entry {
  language: string;
  /** The runtime name the directory is a version of (`name@digest`). */
  runtime: string;
}

export interface ArtifactEntry extends Entry {
  /** The runtime its manifest names; absent when its head could not be read. */
  runtime?: string;
}

export interface LiveJob {
  pid: number;
  runtime: string;
  runtimeDir?: string;
  volumes?: string[];
  packageCache?: string;
}

/** What the recipes directory asks for: the blobs of its committed locks, the base roots its recipes build on. */
export interface RecipeNeeds {
  dir: string;
  blobs: Set<string>;
  /** File names of the base roots (builder/base.ts baseTarball) its recipes use on this host. */
  bases: Set<string>;
  /** Recipes or locks that could not be read: while any, nothing they might need is removed. */
  problems: string[];
}

export interface DiskSnapshot {
  nowMs: number;
  /** Whether a pid named in a file name or record is a running process (processAlive). */
  alive: (pid: number) => boolean;
  runtimes: InstalledName[];
  versionDirs: VersionDir[];
  /** JRT_CACHE/blobs/sha256/* */
  blobs: Entry[];
  /** JRT_CACHE/artifacts/* */
  artifacts: ArtifactEntry[];
  /** JRT_CACHE/bases/* */
  bases: Entry[];
  /** JRT_CACHE/tmp/* */
  temp: Entry[];
  /** `.removing-<pid>-NAME` in JRT_STATE/volumes and package-caches: a `jrt volume remove` that died. */
  volumeDebris: Entry[];
  /** JRT_LOG/*: build logs, jobs.jsonl and its rotated parts. */
  logs: Entry[];
  recipes: RecipeNeeds;
  /** Runtime names whose install lock is held by a live process. */
  installing: { name: string; pid: number }[];
  jobs: LiveJob[];
  /** Mount points (absolute): no tree holding one is removed. */
  mounts: string[];
}
