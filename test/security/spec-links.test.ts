/**
 * Found by review: syncSpecEntries (every jrt install start, every switch, every runtime remove)
 * deletes every top-level symlink of the runtimes root whose target merely has the shape
 * `<x>/<y>` and whose name is not a spec jrt wants now — whoever made it. docs/joblet.md says a
 * name that is not jrt's is never touched. A link is jrt's only when its name is a spec or the very
 * runtime name it points at (joblet/spec-names.ts isSpecLink).
 */
import { mkdir, readlink, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncSpecEntries } from '../../src/installer/spec-entries.js';
import { tempDir } from '../helpers/temp.js';

describe("the operator's own links in the runtimes root", () => {
  it('leaves a symlink jrt did not make alone', async () => {
    const home = await tempDir('jrt-review-spec-');
    const root = path.join(home, 'runtimes');
    const state = path.join(home, 'state');
    await mkdir(path.join(root, 'python', 'python-3.11-ml'), { recursive: true });
    await mkdir(state);
    // An operator's convenience name, made before jrt (or by hand): not a spec jrt keeps.
    await symlink('python/python-3.11-ml', path.join(root, 'python3'));
    const changes = await syncSpecEntries(root, state);
    expect(changes.removed).toEqual([]);
    expect(await readlink(path.join(root, 'python3'))).toBe('python/python-3.11-ml');
  });
});
