/**
 * Copying entries of a build root into a runtime tree at the same in-root path: files keep their
 * permission bits (set-id bits dropped: a job never gains privileges), symlinks stay symlinks with
 * their target unchanged, directories are created with the build root's mode. Hard links become
 * separate files with identical content.
 */
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { hostPathInRoot, isPlainPath } from './root-path.js';

/** Longest in-root path a runtime may hold: the artifact's manifest refuses paths over 4096 bytes. */
export const MAX_TREE_PATH = 4000;

export class TreeCopier {
  /** In-tree paths of symlinks copied so far that were not yet followed. */
  readonly newLinks: string[] = [];
  /** Files whose set-uid/set-gid bit was dropped. */
  readonly setIdDropped: string[] = [];

  /** Directories of the build root known to be real directories (not symlinks). */
  private readonly rootDirs = new Set<string>();
  /** Directories of the tree known to be real (the tree's directories are never replaced). */
  private readonly treeDirs = new Set<string>();

  constructor(
    readonly buildRoot: string,
    readonly outTree: string,
  ) {}

  /**
   * The host path of `p` in the build root, or undefined when a directory above it is not a real
   * directory there: the host's kernel must never follow a link of the build root out of it.
   */
  private async source(p: string): Promise<string | undefined> {
    return hostPathInRoot(this.buildRoot, p, this.rootDirs);
  }

  /** Whether `p` already exists in the tree (not following a final symlink). */
  async has(p: string): Promise<boolean> {
    const at = await hostPathInRoot(this.outTree, p, this.treeDirs);
    if (at === undefined) return false;
    try {
      await lstat(at);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Create the ancestors of `p` in the tree, each with its build-root mode. `p` must be canonical:
   * an ancestor that is a symlink in the tree would make the kernel write through it — possibly
   * onto the host — so it is refused.
   */
  async ensureParents(p: string): Promise<void> {
    assertPlain(p);
    const parts = p.split('/').filter((c) => c !== '');
    let cur = '';
    for (const part of parts.slice(0, -1)) {
      cur = `${cur}/${part}`;
      const st = await lstat(path.join(this.outTree, cur)).catch(() => undefined);
      if (st?.isDirectory()) continue;
      if (st)
        throw failure(
          'ERR_JRT_CLOSURE_PATH_UNSAFE',
          `refused to copy ${p}: ${cur} is not a directory in the tree`,
        );
      let mode = 0o755;
      const src = await this.source(cur);
      const inRoot = src === undefined ? undefined : await lstat(src).catch(() => undefined);
      if (inRoot?.isDirectory()) mode = inRoot.mode & 0o1777;
      await mkdir(path.join(this.outTree, cur));
      await chmod(path.join(this.outTree, cur), mode);
    }
  }

  /** Create (or replace) a symlink at the canonical in-tree path `p`. */
  async makeLink(p: string, target: string): Promise<void> {
    await this.ensureParents(p);
    const dst = path.join(this.outTree, p);
    await rm(dst, { force: true });
    await symlink(target, dst);
    this.newLinks.push(p);
  }

  /**
   * Copy one entry (canonical in-root path). Directories are created empty unless `recursive`.
   * Returns false when the build root has no such entry.
   */
  async copy(p: string, recursive = false): Promise<boolean> {
    assertPlain(p);
    const src = await this.source(p);
    if (src === undefined) return false;
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(src);
    } catch {
      return false;
    }
    const dst = path.join(this.outTree, p);
    const exists = await this.has(p);
    if (!exists) await this.ensureParents(p);
    if (st.isSymbolicLink()) {
      if (!exists) {
        await symlink(await readlink(src), dst);
        this.newLinks.push(p);
      }
    } else if (st.isDirectory()) {
      if (!exists) {
        await mkdir(dst);
        await chmod(dst, st.mode & 0o1777);
      }
      if (recursive) {
        this.rootDirs.add(p);
        for (const name of (await readdir(src)).sort()) await this.copy(path.posix.join(p, name), true);
      }
    } else if (st.isFile()) {
      if (!exists) {
        await copyFile(src, dst, constants.COPYFILE_EXCL);
        if (st.mode & 0o6000) this.setIdDropped.push(p);
        await chmod(dst, st.mode & 0o777);
      }
    }
    // Devices, fifos and sockets have no place in a runtime: skipped.
    return true;
  }
}

/**
 * Paths here are in-root locations already resolved inside the build root: absolute, no `.` or `..`
 * (which the host would resolve as text) and short enough to be a runtime's entry.
 */
function assertPlain(p: string): void {
  if (!isPlainPath(p))
    throw failure('ERR_JRT_CLOSURE_PATH_UNSAFE', `refused to copy '${p}': not a plain absolute path`);
  if (Buffer.byteLength(p) > MAX_TREE_PATH)
    throw failure(
      'ERR_JRT_CLOSURE_PATH_UNSAFE',
      `refused to copy ${p.slice(0, 120)}…: a runtime path may have at most ${MAX_TREE_PATH} bytes`,
      { hint: 'a build step made a tree too deep for a runtime; leave it out of runtime.paths' },
    );
}
