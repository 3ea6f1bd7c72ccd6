import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeManifest } from '../../../src/artifact/manifest.js';
import { readArtifact } from '../../../src/artifact/read.js';
import { manifestFor, type RawTarEntry, rawTarGz, sha256 } from './fixture.js';

const base: RawTarEntry[] = [
  { path: 'runtime.yml', type: 'File', body: 'name: evil-1\n' },
  { path: 'rootfs', type: 'Directory' },
  { path: 'rootfs/usr', type: 'Directory' },
  { path: 'rootfs/usr/bin', type: 'Directory' },
  { path: 'rootfs/usr/bin/tool', type: 'File', body: 'tool', mode: 0o755 },
];

/** An archive whose manifest honestly lists `listed` but whose body holds `body` entries. */
function archive(listed: RawTarEntry[], body: RawTarEntry[] = listed, manifestOverride?: object): Buffer {
  const manifest = manifestOverride ?? manifestFor(listed);
  return rawTarGz([
    { path: 'manifest.json', type: 'File', body: serializeManifest(manifest as never) },
    ...body,
  ]);
}

interface Case {
  name: string;
  bytes: () => Buffer;
  code: 'ERR_JRT_ARTIFACT_UNSAFE' | 'ERR_JRT_ARTIFACT_MISMATCH' | 'ERR_JRT_ARTIFACT_CORRUPT';
  entry: string;
}

const cases: Case[] = [
  {
    name: "an entry with '..'",
    bytes: () => archive([...base, { path: '../x', type: 'File', body: 'x' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: '../x',
  },
  {
    name: "'..' in the middle of a path",
    bytes: () => archive([...base, { path: 'rootfs/../../x', type: 'File', body: 'x' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/../../x',
  },
  {
    name: 'an absolute path',
    bytes: () => archive([...base, { path: '/etc/x', type: 'File', body: 'x' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: '/etc/x',
  },
  {
    name: 'an absolute path only in the archive, not the manifest',
    bytes: () => archive(base, [...base, { path: '/etc/x', type: 'File', body: 'x' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: '/etc/x',
  },
  {
    name: 'a symlink to ../../..',
    bytes: () => archive([...base, { path: 'rootfs/usr/up', type: 'SymbolicLink', linkpath: '../../..' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/up',
  },
  {
    name: 'a symlink chain that escapes through another symlink',
    bytes: () =>
      archive([
        ...base,
        { path: 'rootfs/usr/bin/s', type: 'SymbolicLink', linkpath: '../..' },
        { path: 'rootfs/usr/bin/t', type: 'SymbolicLink', linkpath: 's/../../x' },
      ]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/bin/t',
  },
  {
    name: 'an absolute symlink to /etc/shadow outside rootfs/',
    bytes: () => archive([...base, { path: 'shadow', type: 'SymbolicLink', linkpath: '/etc/shadow' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'shadow',
  },
  {
    name: 'a char device',
    bytes: () => archive(base, [...base, { path: 'rootfs/null', type: 'CharacterDevice' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/null',
  },
  {
    name: 'a fifo',
    bytes: () => archive(base, [...base, { path: 'rootfs/fifo', type: 'FIFO' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/fifo',
  },
  {
    name: 'a setuid file (listed in the manifest too)',
    bytes: () => archive([...base, { path: 'rootfs/usr/bin/su', type: 'File', body: 'su', mode: 0o4755 }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/bin/su',
  },
  {
    name: 'a setuid file (archive only)',
    bytes: () =>
      archive(
        [...base, { path: 'rootfs/usr/bin/su', type: 'File', body: 'su', mode: 0o755 }],
        [...base, { path: 'rootfs/usr/bin/su', type: 'File', body: 'su', mode: 0o4755 }],
      ),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/bin/su',
  },
  {
    name: 'a hard link',
    bytes: () =>
      archive(base, [
        ...base,
        { path: 'rootfs/usr/bin/hard', type: 'Link', linkpath: 'rootfs/usr/bin/tool' },
      ]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/bin/hard',
  },
  {
    name: 'a file not in the manifest',
    bytes: () => archive(base, [...base, { path: 'rootfs/usr/bin/extra', type: 'File', body: 'x' }]),
    code: 'ERR_JRT_ARTIFACT_MISMATCH',
    entry: 'rootfs/usr/bin/extra',
  },
  {
    name: 'a tampered file (same size)',
    bytes: () =>
      archive(base, [
        ...base.slice(0, -1),
        { path: 'rootfs/usr/bin/tool', type: 'File', body: 'TOOL', mode: 0o755 },
      ]),
    code: 'ERR_JRT_ARTIFACT_MISMATCH',
    entry: 'rootfs/usr/bin/tool',
  },
  {
    name: 'a file whose mode differs from the manifest',
    bytes: () =>
      archive(base, [
        ...base.slice(0, -1),
        { path: 'rootfs/usr/bin/tool', type: 'File', body: 'tool', mode: 0o700 },
      ]),
    code: 'ERR_JRT_ARTIFACT_MISMATCH',
    entry: 'rootfs/usr/bin/tool',
  },
  {
    name: 'a missing file',
    bytes: () => archive(base, base.slice(0, -1)),
    code: 'ERR_JRT_ARTIFACT_MISMATCH',
    entry: 'rootfs/usr/bin/tool',
  },
  {
    name: 'a file written through a symlinked parent directory',
    bytes: () =>
      archive([
        ...base,
        { path: 'rootfs/lib', type: 'SymbolicLink', linkpath: 'usr/bin' },
        { path: 'rootfs/lib/x', type: 'File', body: 'x' },
      ]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/lib/x',
  },
  {
    name: 'a manifest that is not the first entry',
    bytes: () => rawTarGz(base),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'runtime.yml',
  },
  {
    name: "a top-level name reserved for the installer's layout",
    bytes: () => archive([...base, { path: '.jrt-current', type: 'SymbolicLink', linkpath: 'rootfs' }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: '.jrt-current',
  },
  {
    name: 'a world-writable file (listed so in the manifest too)',
    bytes: () => archive([...base, { path: 'rootfs/usr/bin/shared', type: 'File', body: 'x', mode: 0o666 }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/bin/shared',
  },
  {
    name: 'a group-writable file',
    bytes: () => archive([...base, { path: 'rootfs/usr/bin/team', type: 'File', body: 'x', mode: 0o775 }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/bin/team',
  },
  {
    name: 'a world-writable directory, even sticky (1777)',
    bytes: () => archive([...base, { path: 'rootfs/tmp', type: 'Directory', mode: 0o1777 }]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/tmp',
  },
  {
    name: 'a writable file only in the archive (the manifest says 0644)',
    bytes: () =>
      archive(
        [...base, { path: 'rootfs/usr/bin/cfg', type: 'File', body: 'x' }],
        [...base, { path: 'rootfs/usr/bin/cfg', type: 'File', body: 'x', mode: 0o646 }],
      ),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/bin/cfg',
  },
  {
    name: 'an entry listed twice',
    bytes: () => archive(base, [...base, base[4] as RawTarEntry]),
    code: 'ERR_JRT_ARTIFACT_UNSAFE',
    entry: 'rootfs/usr/bin/tool',
  },
];

describe('readArtifact refuses hostile artifacts and writes nothing', () => {
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const { tempDir } = await import('./fixture.js');
      const work = await tempDir();
      const root = path.join(work, 'root');
      await mkdir(root);
      const file = path.join(work, 'evil.jrt.tar.gz');
      await writeFile(file, c.bytes());
      const staging = path.join(root, '.jrt-staging', 'x');
      await mkdir(path.dirname(staging));
      const err = await readArtifact(file, staging).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message: string },
      );
      expect(err, 'the artifact was accepted').toBeDefined();
      expect(err?.code).toBe(c.code);
      expect(err?.message).toContain(`'${c.entry}'`);
      await expect(access(staging)).rejects.toThrow();
      expect(await readdir(path.join(root, '.jrt-staging'))).toEqual([]);
      // Nothing was written anywhere above the staging dir either (e.g. ../x or /etc/x).
      expect((await readdir(root)).sort()).toEqual(['.jrt-staging']);
      await expect(access(path.join(root, 'x'))).rejects.toThrow();
    });
  }

  it('accepts the honest base archive (the cases above differ only in the hostile part)', async () => {
    const { tempDir } = await import('./fixture.js');
    const work = await tempDir();
    const file = path.join(work, 'ok.jrt.tar.gz');
    await writeFile(
      file,
      archive([...base, { path: 'rootfs/usr/bin/ok', type: 'SymbolicLink', linkpath: 'tool' }]),
    );
    const c = await readArtifact(file, path.join(work, 'staged'));
    expect(c.manifest.files.map((f) => f.path)).toContain('rootfs/usr/bin/ok');
    expect(c.digest).toBe(sha256(serializeManifest(c.manifest)));
  });
});
