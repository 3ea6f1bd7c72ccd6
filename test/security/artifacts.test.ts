/**
 * Artifacts that attack the installer's memory and time rather than its filesystem: a gzip bomb in
 * runtime.yml, runtime.json or manifest.json, and a small manifest whose symlinks made the old
 * (quadratic) link check run for hours. Each is installed through the bundle, as an operator would.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeManifest } from '../../src/artifact/manifest.js';
import { MAX_DESCRIPTION_BYTES, MAX_MANIFEST_BYTES } from '../../src/core/runtime-format.js';
import { type JrtHome, makeJrtHome, runJrt } from '../helpers/jrt.js';
import { manifestFor, type RawTarEntry, rawTarGz } from '../unit/artifact/fixture.js';

const TREE: RawTarEntry[] = [
  { path: 'rootfs', type: 'Directory' },
  { path: 'rootfs/usr', type: 'Directory' },
  { path: 'rootfs/usr/bin', type: 'Directory' },
  { path: 'rootfs/usr/bin/tool', type: 'File', body: 'tool', mode: 0o755 },
];
const YML = 'name: evil-1\nlanguage: demo\nmounts:\n  - {source: rootfs/usr, target: /usr, readonly: true}\n';

async function install(h: JrtHome, name: string, bytes: Buffer, timeoutMs = 120_000) {
  const file = path.join(h.home, name);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, bytes);
  const r = await runJrt(['install', file, '--json'], { env: h.env, timeoutMs });
  expect(r.signal, `jrt was still running after ${timeoutMs} ms:\n${r.stderr}`).toBeNull();
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { r, out: JSON.parse(r.stdout).runtimes[0] as { result: string; code: string; error: string } };
}

async function expectNothingInstalled(h: JrtHome) {
  const left = await readdir(h.root).catch(() => [] as string[]);
  expect(left.filter((x) => x !== '.jrt-staging')).toEqual([]);
  expect(await readdir(path.join(h.root, '.jrt-staging')).catch(() => [])).toEqual([]);
}

describe('artifact memory bombs: every size is capped before it is read', { timeout: 180_000 }, () => {
  it('a 64 MiB runtime.yml (64 KB of gzip) is refused from the manifest, before a byte of it is read', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-sec-bomb-' });
    const yml = Buffer.alloc(64 << 20, ' ');
    yml.write(YML);
    const entries: RawTarEntry[] = [{ path: 'runtime.yml', type: 'File', body: yml }, ...TREE];
    const bytes = rawTarGz([
      { path: 'manifest.json', type: 'File', body: serializeManifest(manifestFor(entries)) },
      ...entries,
    ]);
    expect(bytes.length).toBeLessThan(1 << 20);
    const { r, out } = await install(h, 'yml-bomb.jrt.tar.gz', bytes);
    expect(r.exitCode).toBe(1);
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_ARTIFACT_UNSAFE' });
    expect(out.error).toBe(
      `unsafe artifact entry 'runtime.yml': larger than ${MAX_DESCRIPTION_BYTES} bytes (${64 << 20})`,
    );
    await expectNothingInstalled(h);
  });

  it('a runtime.json over the cap is refused the same way (jrt exec would read it whole)', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-sec-bomb-' });
    const json = Buffer.alloc(MAX_DESCRIPTION_BYTES + 1, ' ');
    json.write('{"name": "evil-1"}');
    const entries: RawTarEntry[] = [
      { path: 'runtime.yml', type: 'File', body: YML },
      { path: 'runtime.json', type: 'File', body: json },
      ...TREE,
    ];
    const bytes = rawTarGz([
      { path: 'manifest.json', type: 'File', body: serializeManifest(manifestFor(entries)) },
      ...entries,
    ]);
    const { out } = await install(h, 'json-bomb.jrt.tar.gz', bytes);
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_ARTIFACT_UNSAFE' });
    expect(out.error).toContain(`'runtime.json': larger than ${MAX_DESCRIPTION_BYTES} bytes`);
    await expectNothingInstalled(h);
  });

  it('a manifest.json over 16 MiB is refused by its tar header, before it is read or parsed', async () => {
    const h = await makeJrtHome({ prefix: 'jrt-sec-bomb-' });
    // The shape JSON.parse spends most memory on: 17 MiB of empty objects (~450 MB once parsed).
    const body = Buffer.alloc(MAX_MANIFEST_BYTES + (1 << 20), '{},');
    body.write('{"files":[');
    body.write('{}]}', body.length - 4);
    const bytes = rawTarGz([{ path: 'manifest.json', type: 'File', body }, ...TREE]);
    const { out } = await install(h, 'manifest-bomb.jrt.tar.gz', bytes);
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_ARTIFACT_UNSAFE' });
    expect(out.error).toContain(`'manifest.json': larger than ${MAX_MANIFEST_BYTES} bytes`);
    await expectNothingInstalled(h);
  });
});

describe('writable entries', { timeout: 60_000 }, () => {
  it.each<[string, RawTarEntry]>([
    ['a world-writable file', { path: 'rootfs/usr/bin/shared', type: 'File', body: 'x', mode: 0o666 }],
    ['a group-writable directory', { path: 'rootfs/usr/lib', type: 'Directory', mode: 0o775 }],
    ['a sticky world-writable directory', { path: 'rootfs/tmp', type: 'Directory', mode: 0o1777 }],
  ])('%s is refused at install, naming it and its mode; nothing is installed', async (_what, entry) => {
    const h = await makeJrtHome({ prefix: 'jrt-sec-modes-' });
    const entries: RawTarEntry[] = [{ path: 'runtime.yml', type: 'File', body: YML }, ...TREE, entry];
    const bytes = rawTarGz([
      { path: 'manifest.json', type: 'File', body: serializeManifest(manifestFor(entries)) },
      ...entries,
    ]);
    const { r, out } = await install(h, 'writable.jrt.tar.gz', bytes);
    expect(r.exitCode).toBe(1);
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_ARTIFACT_UNSAFE' });
    expect(out.error).toMatch(
      new RegExp(
        `^unsafe artifact entry '${entry.path}': (group|world)-writable .* \\(mode ${(entry.mode as number).toString(8)}\\)$`,
      ),
    );
    await expectNothingInstalled(h);
  });
});

describe('checks over an artifact are linear', { timeout: 180_000 }, () => {
  it('20,000 links through one chain of 40 long links are checked once each, and the artifact is then judged', async () => {
    // rootfs/c/pK -> a/a/…/a/../../…/../p(K+1): 800 components down and back up, then the next link.
    // The old check walked the whole chain again for each of the 20,000 links, joining the path
    // at every component: hours of CPU for a 2 MB manifest that gzips to ~100 KB.
    const down = 'a/'.repeat(800);
    const up = '../'.repeat(800);
    const chain: RawTarEntry[] = [];
    for (let k = 1; k <= 39; k++)
      chain.push({ path: `rootfs/c/p${k}`, type: 'SymbolicLink', linkpath: `${down}${up}p${k + 1}` });
    chain.push({ path: 'rootfs/c/p40', type: 'SymbolicLink', linkpath: '../usr/bin/tool' });
    const many: RawTarEntry[] = [];
    for (let i = 0; i < 20_000; i++)
      many.push({ path: `rootfs/c/l${i}`, type: 'SymbolicLink', linkpath: 'p1' });
    // A mount source that is not in the runtime: refused once the links are judged, before extraction.
    const yml = YML.replace('rootfs/usr', 'rootfs/opt');
    const entries: RawTarEntry[] = [
      { path: 'runtime.yml', type: 'File', body: yml },
      ...TREE,
      { path: 'rootfs/c', type: 'Directory' },
      ...chain,
      ...many,
    ];
    const manifest = serializeManifest(manifestFor(entries));
    const bytes = rawTarGz([{ path: 'manifest.json', type: 'File', body: manifest }, ...entries]);
    expect(manifest.length).toBeLessThan(4 << 20);
    const h = await makeJrtHome({ prefix: 'jrt-sec-links-' });
    const { r, out } = await install(h, 'links.jrt.tar.gz', bytes);
    expect(r.exitCode).toBe(1);
    expect(out).toMatchObject({ result: 'failed', code: 'ERR_JRT_ARTIFACT_UNSAFE' });
    expect(out.error).toContain("mount source 'rootfs/opt' is not in the runtime");
    await expectNothingInstalled(h);
  });
});
