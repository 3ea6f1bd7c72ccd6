import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalInRoot, relativeLinkEscapes, resolveInRoot } from '../../../src/builder/root-path.js';
import { writeTree } from '../../fixtures/closure/fake-root.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'jrt-rootpath-'));
  await writeTree(root, {
    '/lib': { link: 'usr/lib' },
    '/usr/lib/x86_64-linux-gnu/libc.so.6': 'c',
    '/usr/lib/abs': { link: '/etc/target' },
    '/etc/target': 't',
    '/etc/up': { link: '../../../../etc/target' },
    '/loop/a': { link: 'b' },
    '/loop/b': { link: 'a' },
    '/file': 'f',
  });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('resolveInRoot', () => {
  it.each([
    ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6', true, ['/lib']],
    ['/usr/lib/abs', '/etc/target', true, ['/usr/lib/abs']],
    ['/etc/up', '/etc/target', true, ['/etc/up']],
    ['/lib/missing.so', '/usr/lib/missing.so', false, ['/lib']],
    ['/file/below', '/file/below', false, []],
  ])('%s → %s', async (p, resolved, exists, links) => {
    const r = await resolveInRoot(root, p);
    expect(r).toEqual({ path: resolved, exists, links });
  });

  it('gives up on a symlink loop', async () => {
    expect((await resolveInRoot(root, '/loop/a')).exists).toBe(false);
  });

  it('does not follow the last link when asked not to', async () => {
    expect(await resolveInRoot(root, '/usr/lib/abs', false)).toEqual({
      path: '/usr/lib/abs',
      exists: true,
      links: [],
    });
  });

  it('absolute targets never reach the host: /etc/target in the root, not /etc of the machine', async () => {
    expect((await resolveInRoot(root, '/usr/lib/abs')).path).toBe('/etc/target');
    expect((await resolveInRoot(root, '/etc/passwd')).exists).toBe(false);
  });

  it('canonicalInRoot resolves the parent and keeps the name', async () => {
    expect(await canonicalInRoot(root, '/lib/x86_64-linux-gnu/libc.so.6')).toBe(
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
    );
    expect(await canonicalInRoot(root, '/usr/lib/abs')).toBe('/usr/lib/abs');
  });
});

describe('relativeLinkEscapes', () => {
  it.each([
    ['/usr/lib/jvm/x/docs', '../../../share/doc/x', false],
    ['/usr/lib/a', '../../../etc', true],
    ['/etc/mtab', '../proc/self/mounts', false],
    ['/a', '..', true],
    ['/usr/bin/x', '/etc/abs', false],
    ['/usr/bin/x', 'y/../../../z', false],
    ['/usr/bin/x', 'y/../../../../z', true],
  ])('%s -> %s escapes: %s', (link, target, escapes) => {
    expect(relativeLinkEscapes(link, target)).toBe(escapes);
  });
});
