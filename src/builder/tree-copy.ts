/**
 * Copying entries of a build root into a runtime tree at the same in-root path: files keep their
 * permission bits (set-id bits dropped: a job never gains privileges), symlinks stay symlinks with
 * their target unchanged, directories are created with the build root's mode. Hard links become
 * separate files with identical content.
 */
import { chmod, copyFile, lstat, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';

export class TreeCopier {
  /** In-tree paths of symlinks copied so far that were not yet followed. */
  readonly newLinks: string[] = [];
  /** Files whose set-uid/set-gid bit was dropped. */
  readonly setIdDropped: string[] = [];

  constructor(
    readonly buildRoot: string,
    readonly outTree: string,
  ) {}

  /** Whether `p` already exists in the tree (not following a final symlink). */
  async has(p: string): Promise<boolean> {
    try {
      await lstat(path.join(this.outTree, p));
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
    const parts = p.split('/').filter((c) => c !== '');
    let cur = '';
    for (const part of parts.slice(0, -1)) {
      cur = `${cur}/${part}`;
      const st = await lstat(path.join(this.outTree, cur)).catch(() => undefined);
      if (st?.isDirectory()) continue;
      if (st) throw new Error(`bug: ${p} is not canonical in the tree: ${cur} is not a directory`);
      let mode = 0o755;
      try {
        mode = (await lstat(path.join(this.buildRoot, cur))).mode & 0o1777;
      } catch {}
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
    const src = path.join(this.buildRoot, p);
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
        for (const name of (await readdir(src)).sort()) await this.copy(path.posix.join(p, name), true);
      }
    } else if (st.isFile()) {
      if (!exists) {
        await copyFile(src, dst);
        if (st.mode & 0o6000) this.setIdDropped.push(p);
        await chmod(dst, st.mode & 0o777);
      }
    }
    // Devices, fifos and sockets have no place in a runtime: skipped.
    return true;
  }
}
