import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBlocker, searchBlocker } from '../../../src/core/reach.js';
import { tempDirSync } from '../../helpers/temp.js';

const base = tempDirSync('jrt-reach-');
chmodSync(base, 0o755);
afterAll(() => chmodSync(base, 0o755));

/** base/name/inner, with `name` at `mode` owned by uid:gid. */
function dirWith(name: string, mode: number, uid = 0, gid = 0): string {
  const dir = path.join(base, name);
  mkdirSync(path.join(dir, 'inner'), { recursive: true });
  chownSync(dir, uid, gid);
  chmodSync(dir, mode);
  return path.join(dir, 'inner');
}

describe('searchBlocker', () => {
  it.each<[string, number, number, number, boolean]>([
    // name, mode, owner uid, owner gid, blocks uid 1000 gid 1000
    ['open', 0o755, 0, 0, false],
    ['others-x-only', 0o711, 0, 0, false],
    ['private', 0o700, 0, 0, true],
    ['owned-by-user', 0o700, 1000, 0, false],
    ['owner-without-x', 0o677, 1000, 0, true],
    ['group-x', 0o710, 0, 1000, false],
    ['group-without-x', 0o701, 0, 1000, true],
  ])('%s (%o, %i:%i)', (name, mode, uid, gid, blocks) => {
    const target = dirWith(name, mode, uid, gid);
    const b = searchBlocker(target, 1000, 1000);
    if (blocks) expect(b).toEqual({ dir: path.join(base, name), mode, owner: uid });
    else expect(b).toBeUndefined();
  });

  it('checks the target directory itself, never blocks root, and ignores what does not exist', () => {
    const target = dirWith('self', 0o755);
    chmodSync(target, 0o700);
    expect(searchBlocker(target, 1000, 1000)?.dir).toBe(target);
    expect(searchBlocker(target, 0, 0)).toBeUndefined();
    expect(searchBlocker(path.join(base, 'nope', 'deeper'), 1000, 1000)).toBeUndefined();
  });

  it('describes the blocker with its mode and owner', () => {
    expect(describeBlocker({ dir: '/root', mode: 0o700, owner: 0 })).toBe('/root (mode 0700, owner uid 0)');
  });
});
