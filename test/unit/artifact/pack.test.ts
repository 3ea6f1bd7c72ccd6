import { cp, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { list } from 'tar';
import { describe, expect, it } from 'vitest';
import { computeManifest, scanTree } from '../../../src/artifact/manifest.js';
import { packArtifact } from '../../../src/artifact/pack.js';
import { readArtifact, readArtifactHead } from '../../../src/artifact/read.js';
import { EPOCH, makeRuntimeTree, tempDir } from './fixture.js';

describe('computeManifest', () => {
  it('lists every entry except manifest.json, sorted bytewise, with modes, sizes, hashes and targets', async () => {
    const dir = path.join(await tempDir(), 'rt');
    const m = await makeRuntimeTree(dir);
    const paths = m.files.map((f) => f.path);
    expect(paths).not.toContain('manifest.json');
    expect([...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(paths);
    const hello = m.files.find((f) => f.path === 'rootfs/usr/bin/hello');
    expect(hello).toMatchObject({ type: 'file', mode: 0o755 });
    expect(hello?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.files.find((f) => f.path === 'rootfs/usr/bin/hi')).toMatchObject({
      type: 'symlink',
      target: '/usr/bin/hello',
    });
    expect(m.total_size).toBe(m.files.reduce((s, f) => s + f.size, 0));
    expect(m.total_size).toBeGreaterThan(70_000);
  });

  it('refuses setuid files and fifos, naming them', async () => {
    const dir = path.join(await tempDir(), 'rt');
    await makeRuntimeTree(dir);
    await writeFile(path.join(dir, 'rootfs/usr/bin/su'), 'x', { mode: 0o4755 });
    const { run } = await import('../../../src/core/proc.js');
    await run('mkfifo', [path.join(dir, 'rootfs/pipe')]);
    const meta = { name: 'x', version: '1', jrt_version: '0', recipe_digest: '', lock_digest: '' };
    await expect(computeManifest(dir, meta)).rejects.toThrow(
      /rootfs\/pipe: fifo[\s\S]*rootfs\/usr\/bin\/su: setuid/,
    );
  });
});

describe('packArtifact', () => {
  it('is deterministic: packing twice, and packing a copy made later with other mtimes, gives the same bytes', async () => {
    const work = await tempDir();
    const a = path.join(work, 'a');
    await makeRuntimeTree(a);
    const r1 = await packArtifact(a, path.join(work, 'one.jrt.tar.gz'), { sourceDateEpoch: EPOCH });
    const r2 = await packArtifact(a, path.join(work, 'two.jrt.tar.gz'), { sourceDateEpoch: EPOCH });
    const b = path.join(work, 'b');
    await cp(a, b, { recursive: true, verbatimSymlinks: true });
    await utimes(path.join(b, 'rootfs/usr/bin/hello'), 12345, 12345);
    const r3 = await packArtifact(b, path.join(work, 'three.jrt.tar.gz'), { sourceDateEpoch: EPOCH });
    expect(r1.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r2.sha256).toBe(r1.sha256);
    expect(r3.sha256).toBe(r1.sha256);
    // A tree written again from scratch (new inodes, other directory order and mtimes) packs the same.
    const c = path.join(work, 'c');
    await makeRuntimeTree(c);
    const r5 = await packArtifact(c, path.join(work, 'five.jrt.tar.gz'), { sourceDateEpoch: EPOCH });
    expect(r5.sha256).toBe(r1.sha256);
    expect(r5.size).toBe(r1.size);
    const r4 = await packArtifact(a, path.join(work, 'four.jrt.tar.gz'), { sourceDateEpoch: EPOCH + 1 });
    expect(r4.sha256).not.toBe(r1.sha256);
  });

  it('writes a fixed gzip header and ustar entries in manifest order with the epoch mtime and uid 0', async () => {
    const work = await tempDir();
    const dir = path.join(work, 'rt');
    await makeRuntimeTree(dir);
    const out = path.join(work, 'x.jrt.tar.gz');
    await packArtifact(dir, out, { sourceDateEpoch: EPOCH });
    const head = (await readFile(out)).subarray(0, 10);
    // magic, deflate, no flags (no name), mtime 0, xfl 0 (level 6), OS 3 (Unix)
    expect([...head]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    const seen: { path: string; mtime: number; uid: number; gid: number; uname: string; type: string }[] = [];
    await list({
      file: out,
      onReadEntry: (e) => {
        seen.push({
          path: e.path,
          mtime: (e.mtime?.getTime() ?? 0) / 1000,
          uid: e.uid ?? -1,
          gid: e.gid ?? -1,
          uname: e.uname ?? '',
          type: e.type,
        });
      },
    });
    expect(seen.slice(0, 3).map((e) => e.path)).toEqual(['manifest.json', 'runtime.yml', 'runtime.json']);
    expect(seen.every((e) => e.mtime === EPOCH && e.uid === 0 && e.gid === 0 && e.uname === '')).toBe(true);
    expect(seen.some((e) => Buffer.byteLength(e.path) > 100)).toBe(true);
    const rest = seen.slice(3).map((e) => e.path.replace(/\/$/, ''));
    expect([...rest].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))).toEqual(rest);
  });

  it('refuses to pack a tree that differs from its manifest', async () => {
    const work = await tempDir();
    const dir = path.join(work, 'rt');
    await makeRuntimeTree(dir);
    await writeFile(path.join(dir, 'rootfs/extra'), 'new');
    await expect(
      packArtifact(dir, path.join(work, 'x.jrt.tar.gz'), { sourceDateEpoch: EPOCH }),
    ).rejects.toThrow(/extra: rootfs\/extra/);
    const { rm } = await import('node:fs/promises');
    await rm(path.join(dir, 'rootfs/extra'));
    await writeFile(path.join(dir, 'rootfs/usr/bin/hello'), 'changed!');
    await expect(
      packArtifact(dir, path.join(work, 'y.jrt.tar.gz'), { sourceDateEpoch: EPOCH }),
    ).rejects.toThrow(/rootfs\/usr\/bin\/hello changed after its manifest was written/);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(work)).filter((f) => f.includes('.jrt.tar.gz'))).toEqual([]);
  });
});

describe('readArtifact round trip', () => {
  it('extracts exactly the packed tree (contents, modes, symlinks) and returns the manifest digest', async () => {
    const work = await tempDir();
    const dir = path.join(work, 'rt');
    const m = await makeRuntimeTree(dir);
    const out = path.join(work, 'x.jrt.tar.gz');
    await packArtifact(dir, out, { sourceDateEpoch: EPOCH });
    const staged = path.join(work, 'staged');
    const c = await readArtifact(out, staged);
    expect(c.manifest).toEqual(m);
    expect(c.digest).toMatch(/^[0-9a-f]{64}$/);
    const again = await scanTree(staged, { exclude: (p) => p === 'manifest.json' });
    expect(again.files).toEqual(m.files);
    expect(await readlink(path.join(staged, 'rootfs/usr/bin/hi'))).toBe('/usr/bin/hello');
    expect((await stat(path.join(staged, 'rootfs/usr/bin/hello'))).mtimeMs).toBe(EPOCH * 1000);
    expect(await readFile(path.join(staged, 'manifest.json'))).toEqual(
      await readFile(path.join(dir, 'manifest.json')),
    );
    const onlyManifest = await readArtifactHead(out);
    expect(onlyManifest.digest).toBe(c.digest);
    expect(onlyManifest.runtimeYml?.toString()).toBe(await readFile(path.join(dir, 'runtime.yml'), 'utf8'));
  });
});
