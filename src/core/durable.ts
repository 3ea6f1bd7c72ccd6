/**
 * Making what was written survive a power loss, not only a kill: rename(2) is atomic, but without a
 * sync the data it points to (or the rename itself) may still be in the page cache when power fails.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { failure } from './errors.js';
import { run } from './proc.js';

/**
 * Write everything of the filesystem holding `dir` to disk (syncfs(2), through coreutils' `sync -f`:
 * Node has no binding). One call instead of an fsync per file of a runtime with thousands.
 */
export async function syncFilesystem(dir: string): Promise<void> {
  const r = await run('sync', ['-f', dir], { reject: false });
  if (r.exitCode !== 0)
    throw failure(
      'ERR_JRT_INSTALL_IO',
      `cannot write ${dir} to disk: ${r.stderr.trim() || `sync exited ${r.exitCode}`}`,
    );
}

/** fsync a directory, so the renames and links made in it survive a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Create `file` (never an existing one: O_EXCL also refuses a symlink planted at its name), write,
 * then fsync: the contents are on disk before the file is renamed over another.
 */
export async function writeFileSynced(file: string, data: string, mode: number): Promise<void> {
  const fh = await open(file, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replace `file` with `text` atomically (a synced temp file beside it, renamed over it), keeping
 * the mode and owner given (those of the file it replaces, or 0600 root for a new one).
 */
export async function replaceFile(
  file: string,
  text: string,
  like: { mode: number; uid: number; gid: number },
): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.jrt-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await writeFileSynced(tmp, text, like.mode & 0o7777);
    await chown(tmp, like.uid, like.gid).catch(() => {});
    await chmod(tmp, like.mode & 0o7777);
    await rename(tmp, file);
    await syncDirectory(path.dirname(file));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
