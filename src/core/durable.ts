/**
 * Making what was written survive a power loss, not only a kill: rename(2) is atomic, but without a
 * sync the data it points to (or the rename itself) may still be in the page cache when power fails.
 */
import { open } from 'node:fs/promises';
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
