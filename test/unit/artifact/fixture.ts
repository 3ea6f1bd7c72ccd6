/**
 * Test fixtures shared by the artifact, installer and CLI tests: a small but realistic runtime
 * directory, and a raw tar/gzip writer (tar 7's Header, independent of jrt's encoder) for crafting
 * hostile archives.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { computeManifest, serializeManifest } from '../../../src/artifact/manifest.js';
import { packArtifact } from '../../../src/artifact/pack.js';
import type { JrtPaths } from '../../../src/core/paths.js';
import type { Manifest } from '../../../src/core/runtime-format.js';
import { tempDir as registeredTempDir } from '../../helpers/temp.js';

/** A temp dir removed after the test file (test/helpers/temp.ts). */
export async function tempDir(prefix = 'jrt-test-'): Promise<string> {
  return registeredTempDir(prefix);
}

/** Every JRT_* path of a jrt home inside a fresh temp dir (nothing created yet). */
export async function tempJrtPaths(prefix = 'jrt-test-'): Promise<JrtPaths> {
  const dir = await tempDir(prefix);
  return {
    root: path.join(dir, 'runtimes'),
    cache: path.join(dir, 'cache'),
    state: path.join(dir, 'state'),
    jobletConfig: path.join(dir, 'config', 'joblet-config.yml'),
    recipes: path.join(dir, 'recipes'),
    log: path.join(dir, 'log'),
  };
}

export const EPOCH = 1_700_000_000;

export function runtimeYml(
  name: string,
  language: string,
  version: string,
  more: { tags?: string[]; fullVersion?: string } = {},
): string {
  return [
    `name: ${name}`,
    `language: ${language}`,
    `version: "${version}"`,
    `description: Test runtime ${name}`,
    'mounts:',
    '  - {source: rootfs/usr, target: /usr, readonly: true}',
    '  - {source: rootfs/usr/bin, target: /bin, readonly: true}',
    '  - {source: rootfs/etc/ssl, target: /etc/ssl, readonly: true}',
    'environment:',
    '  PATH_PREPEND: /usr/bin',
    'requirements:',
    '  architectures: [amd64]',
    `tags: [${(more.tags ?? ['test']).join(', ')}]`,
    ...(more.fullVersion ? [`full_version: "${more.fullVersion}"`] : []),
    `aliases: [${name}-alias]`,
    'entrypoints: {}',
    'build_info:',
    '  jrt_version: 0.1.0',
    '  built_at: "2026-01-01T00:00:00Z"',
    '  base: bookworm',
    '  recipe_digest: sha256:aa',
    '  lock_digest: sha256:bb',
    '',
  ].join('\n');
}

/**
 * A runtime directory with runtime.yml, runtime.json (unless `withJson` is false), a rootfs with
 * files, a relative and an absolute symlink, an empty file and a path longer than 100 bytes.
 */
export async function makeRuntimeTree(
  dir: string,
  opts: {
    name?: string;
    language?: string;
    version?: string;
    payload?: string;
    withJson?: boolean;
    /** runtime.yml's tags (default [test]) and full_version (default none). */
    tags?: string[];
    fullVersion?: string;
  } = {},
): Promise<Manifest> {
  const name = opts.name ?? 'demo-1';
  const language = opts.language ?? 'demo';
  const version = opts.version ?? '1.0';
  await mkdir(dir, { recursive: true });
  const yml = runtimeYml(name, language, version, { tags: opts.tags, fullVersion: opts.fullVersion });
  await writeFile(path.join(dir, 'runtime.yml'), yml);
  if (opts.withJson !== false) {
    const { parse } = await import('yaml');
    await writeFile(path.join(dir, 'runtime.json'), `${JSON.stringify(parse(yml), null, 2)}\n`);
  }
  const long = 'rootfs/usr/lib/python3/dist-packages/some_rather_long_package_name/submodule_with_long_name';
  for (const d of ['rootfs/usr/bin', 'rootfs/usr/lib', 'rootfs/etc/ssl/certs', long])
    await mkdir(path.join(dir, d), { recursive: true });
  await writeFile(path.join(dir, 'rootfs/usr/bin/hello'), `#!/bin/sh\necho hello ${opts.payload ?? ''}\n`);
  await chmod(path.join(dir, 'rootfs/usr/bin/hello'), 0o755);
  await writeFile(path.join(dir, 'rootfs/usr/lib/libdemo.so.1'), Buffer.alloc(70_000, 7));
  await writeFile(path.join(dir, 'rootfs/etc/ssl/certs/ca.pem'), 'CERT\n');
  await writeFile(path.join(dir, 'rootfs/usr/lib/empty'), '');
  await writeFile(
    path.join(dir, long, 'a_module_file_with_a_name_that_pushes_the_path_past_one_hundred_bytes.py'),
    'x = 1\n',
  );
  await symlink('libdemo.so.1', path.join(dir, 'rootfs/usr/lib/libdemo.so'));
  await symlink('/usr/bin/hello', path.join(dir, 'rootfs/usr/bin/hi'));
  await chmod(path.join(dir, 'rootfs/etc/ssl'), 0o755);
  const manifest = await computeManifest(dir, {
    name,
    version,
    jrt_version: '0.1.0',
    recipe_digest: 'sha256:aa',
    lock_digest: 'sha256:bb',
  });
  await writeFile(path.join(dir, 'manifest.json'), serializeManifest(manifest));
  return manifest;
}

/** Build a fixture tree under a temp dir and pack it into `outDir`; returns the artifact path. */
export async function makeArtifact(
  outDir: string,
  opts: Parameters<typeof makeRuntimeTree>[1] = {},
): Promise<{ file: string; manifest: Manifest; tree: string }> {
  const tree = path.join(await tempDir('jrt-tree-'), 'rt');
  const manifest = await makeRuntimeTree(tree, opts);
  const file = path.join(
    outDir,
    `${manifest.name}-${manifest.version}${opts.payload ? `-${opts.payload}` : ''}.jrt.tar.gz`,
  );
  await packArtifact(tree, file, { sourceDateEpoch: EPOCH });
  return { file, manifest, tree };
}

// ---- raw archives for hostile cases ----

export interface RawTarEntry {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  mode?: number;
  body?: Buffer | string;
  linkpath?: string;
}

export function rawTarGz(entries: RawTarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const h = new Header({
      path: e.path,
      type: e.type,
      mode: e.mode ?? (e.type === 'Directory' ? 0o755 : 0o644),
      size: e.type === 'File' ? body.length : 0,
      mtime: new Date(EPOCH * 1000),
      uid: 0,
      gid: 0,
      linkpath: e.linkpath ?? '',
      devmaj: 0,
      devmin: 0,
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (e.type === 'File') {
      blocks.push(body);
      if (body.length % 512) blocks.push(Buffer.alloc(512 - (body.length % 512)));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A manifest for raw entries (as an honest builder would have written it). */
export function manifestFor(entries: RawTarEntry[], name = 'evil-1'): Manifest {
  const files = entries.map((e) => {
    const body = Buffer.from(e.body ?? '');
    if (e.type === 'Directory') return { path: e.path, type: 'dir' as const, mode: e.mode ?? 0o755, size: 0 };
    if (e.type === 'SymbolicLink')
      return { path: e.path, type: 'symlink' as const, mode: 0o777, size: 0, target: e.linkpath ?? '' };
    return {
      path: e.path,
      type: 'file' as const,
      mode: e.mode ?? 0o644,
      size: body.length,
      sha256: sha256(body),
    };
  });
  return {
    manifest_version: 1,
    name,
    version: '1',
    jrt_version: '0.1.0',
    recipe_digest: 'r',
    lock_digest: 'l',
    total_size: files.reduce((s, f) => s + f.size, 0),
    files,
  };
}

/**
 * The runtimes' version directories in a language's `.jrt/`, without those of the spec directories
 * jrt keeps for Joblet (`<language>:<version>...@digest`, docs/joblet.md).
 */
export async function runtimeVersionDirs(vdir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return (await readdir(vdir)).filter((v) => !v.includes(':'));
}
