/**
 * Making what was written survive a power loss, not only a kill: rename(2) is atomic, but without a
 * sync the data it points to (or the rename itself) may still be in the page cache when power fails.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
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
 * Replace `file` with `text` atomically, keeping the owner and mode given (those of the file it
 * replaces, or 0600 root for a new one): a private temp file beside it with a name nobody can guess,
 * created with O_EXCL|O_NOFOLLOW (never through a link planted in a directory others may write),
 * given its owner and mode through its descriptor, synced, then renamed over `file` (a rename
 * replaces a link at `file` rather than following it).
 */
export async function replaceFile(
  file: string,
  text: string,
  like: { mode: number; uid: number; gid: number },
): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.jrt-${process.pid}-${randomBytes(8).toString('hex')}.tmp`,
  );
  const fh = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      await fh.writeFile(text);
      await fh.chown(like.uid, like.gid).catch(() => {});
      await fh.chmod(like.mode & 0o7777);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    await syncDirectory(path.dirname(file));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
