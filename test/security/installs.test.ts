/**
 * Installs against a hostile disk (root): a runtimes root that is full, that fills up during the
 * extraction, or that is read-only. Each filesystem lives in a private mount namespace of the test
 * (see mount-namespace.ts), so the host never sees it. Hostile artifacts, kill -9 and concurrent
 * installs are proven elsewhere (docs/security.md lists where).
 */
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { computeManifest, serializeManifest } from '../../src/artifact/manifest.js';
import { packArtifact } from '../../src/artifact/pack.js';
import { makeJrtHome, requireRoot } from '../helpers/jrt.js';
import { EPOCH, makeArtifact, makeRuntimeTree, tempDir } from '../unit/artifact/fixture.js';
import { type MountNamespace, openMountNamespace } from './mount-namespace.js';

let ns: MountNamespace | undefined;
/** Temp dirs to remove after each test (the tmpfs goes with the namespace). */
const scratch: string[] = [];
beforeAll(() => requireRoot());
afterEach(() => {
  ns?.close();
  ns = undefined;
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every entry under `dir`: type, mode, size and content hash or link target. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(dir, rel);
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(abs)}`);
    else if (st.isDirectory()) {
      out.push(`${rel}/ ${mode}`);
      for (const e of readdirSync(abs).sort()) walk(path.join(rel, e));
    } else
      out.push(`${rel} ${mode} ${st.size} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`);
  };
  walk('.');
  return out;
}

/** A demo-1 artifact: the fixture tree plus `extra(tree)`, with the manifest recomputed. */
async function artifactWith(outDir: string, version: string, extra: (tree: string) => void): Promise<string> {
  const tmp = await tempDir('jrt-sec-tree-');
  scratch.push(tmp);
  const tree = path.join(tmp, 'rt');
  await makeRuntimeTree(tree, { version, payload: version });
  extra(tree);
  const manifest = await computeManifest(tree, {
    name: 'demo-1',
    version,
    jrt_version: '0.1.0',
    recipe_digest: 'sha256:aa',
    lock_digest: 'sha256:bb',
  });
  writeFileSync(path.join(tree, 'manifest.json'), serializeManifest(manifest));
  const file = path.join(outDir, `demo-1-${version}.jrt.tar.gz`);
  await packArtifact(tree, file, { sourceDateEpoch: EPOCH });
  return file;
}

/** A runtimes root on an 8 MiB tmpfs (or one with `options`) with demo-1 installed and verified. */
async function smallDiskWithRuntime(options = 'size=8m') {
  const e = await makeJrtHome({ prefix: 'jrt-sec-' });
  scratch.push(e.home);
  const root = e.env.JRT_ROOT as string;
  mkdirSync(root);
  ns = await openMountNamespace();
  ns.run(['mount', '-t', 'tmpfs', '-o', `${options},mode=0755`, 'jrt-sec-tmpfs', root]);
  const first = await makeArtifact(e.home, { payload: 'one' });
  scratch.push(path.dirname(first.tree));
  const r = ns.jrt(['install', first.file, '--json'], e.env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.code).toBe(0);
  expect(ns.jrt(['runtime', 'verify', 'demo-1'], e.env)).toMatchObject({ code: 0, stdout: 'demo-1: ok\n' });
  return { e, root, ns };
}

function expectStillVerifies(n: MountNamespace, env: NodeJS.ProcessEnv, root: string, before: string[]) {
  expect(snapshot(n.view(root))).toEqual(before);
  expect(n.jrt(['runtime', 'verify', 'demo-1'], env)).toMatchObject({ code: 0, stdout: 'demo-1: ok\n' });
}

describe('a full disk', () => {
  it('an artifact bigger than the free space is refused before anything is written (ERR_JRT_NO_SPACE)', async () => {
    const { e, root, ns: n } = await smallDiskWithRuntime();
    const big = await artifactWith(e.home, '2.0', (tree) =>
      writeFileSync(path.join(tree, 'rootfs/usr/lib/big.bin'), Buffer.alloc(12 * 1024 * 1024, 1)),
    );
    const before = snapshot(n.view(root));
    const freeBefore = statfsSync(n.view(root)).bfree;

    const r = n.jrt(['install', big, '--json'], e.env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).runtimes[0]).toMatchObject({
      name: 'demo-1-2.0.jrt.tar.gz',
      result: 'failed',
      code: 'ERR_JRT_NO_SPACE',
    });
    expect(r.stderr).toMatch(
      /demo-1 needs 13\.\d MiB \(its files in 4\.0 KiB blocks \+ 10%\) but .* has [\d.]+ (KiB|MiB) free/,
    );
    expect(r.stderr).toContain(root);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Refused before writing: not a byte more is used on the small disk.
    expect(statfsSync(n.view(root)).bfree).toBe(freeBefore);
    expectStillVerifies(n, e.env, root, before);
  });

  it('many small files are counted in blocks: 3,000 one-byte files (12 MiB of pages) are refused before writing', async () => {
    const { e, root, ns: n } = await smallDiskWithRuntime();
    const many = await artifactWith(e.home, '3.0', (tree) => {
      const dir = path.join(tree, 'rootfs/usr/share/many');
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 3000; i++) writeFileSync(path.join(dir, `f${i}`), String(i % 10));
    });
    const before = snapshot(n.view(root));
    const freeBefore = statfsSync(n.view(root)).bfree;
    const r = n.jrt(['install', many, '--json'], e.env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).runtimes[0]).toMatchObject({ result: 'failed', code: 'ERR_JRT_NO_SPACE' });
    expect(r.stderr).toMatch(/demo-1 needs 1[23]\.\d MiB \(its files in 4\.0 KiB blocks \+ 10%\)/);
    expect(statfsSync(n.view(root)).bfree).toBe(freeBefore);
    expectStillVerifies(n, e.env, root, before);
  });

  it('too few free inodes is refused before writing, naming the count', async () => {
    const { e, root, ns: n } = await smallDiskWithRuntime('size=8m,nr_inodes=400');
    const empty = await artifactWith(e.home, '4.0', (tree) => {
      const dir = path.join(tree, 'rootfs/usr/share/empty');
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 500; i++) writeFileSync(path.join(dir, `f${i}`), '');
    });
    const before = snapshot(n.view(root));
    const r = n.jrt(['install', empty, '--json'], e.env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).runtimes[0]).toMatchObject({ result: 'failed', code: 'ERR_JRT_NO_SPACE' });
    expect(r.stderr).toMatch(
      /demo-1 needs 5\d\d inodes \(one per file, directory and link \+ 10%\) but .* has \d+ free/,
    );
    expectStillVerifies(n, e.env, root, before);
  });

  it('a disk that fills up during the extraction fails cleanly: staging removed, the previous runtime intact', async () => {
    const { e, root, ns: n } = await smallDiskWithRuntime();
    // The pre-check passes (the root has room), but the staging area is a 256 KiB disk of its own,
    // standing for space another writer takes while the files are written.
    n.run([
      'mount',
      '-t',
      'tmpfs',
      '-o',
      'size=256k,mode=0755',
      'jrt-sec-staging',
      path.join(root, '.jrt-staging'),
    ]);
    const big = await artifactWith(e.home, '3.0', (tree) =>
      writeFileSync(path.join(tree, 'rootfs/usr/lib/big.bin'), Buffer.alloc(2 * 1024 * 1024, 1)),
    );
    const before = snapshot(n.view(root));

    const r = n.jrt(['install', big, '--json'], e.env);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout).runtimes[0];
    expect(out).toMatchObject({
      name: 'demo-1-3.0.jrt.tar.gz',
      result: 'failed',
      code: 'ERR_JRT_INSTALL_IO',
    });
    expect(r.stderr).toContain('jrt: demo-1-3.0.jrt.tar.gz: ENOSPC: no space left on device');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expectStillVerifies(n, e.env, root, before);
  });
});

describe('a read-only runtimes root', () => {
  it('install and remove fail with a clear error naming the root, and nothing changes', async () => {
    const { e, root, ns: n } = await smallDiskWithRuntime();
    const next = await makeArtifact(e.home, { payload: 'two' });
    scratch.push(path.dirname(next.tree));
    n.run(['mount', '-o', 'remount,ro', root]);
    const before = snapshot(n.view(root));

    const r = n.jrt(['install', next.file, '--json'], e.env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'ERR_JRT_ROOT_NOT_WRITABLE' });
    expect(r.stderr).toContain(`cannot write to ${root}`);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);

    const rm = n.jrt(['runtime', 'remove', 'demo-1', '--json'], e.env);
    expect(rm.code).toBe(1);
    expect(JSON.parse(rm.stdout).error).toMatchObject({ code: 'ERR_JRT_ROOT_NOT_WRITABLE' });
    expect(rm.stderr).toContain(`cannot write to ${root}`);
    expect(rm.stderr).not.toMatch(/internal error|\n\s+at /);
    expectStillVerifies(n, e.env, root, before);
  });
});
