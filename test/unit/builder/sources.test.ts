import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandSourceUrl, unpackScript } from '../../../src/builder/sources.js';
import type { Source } from '../../../src/recipe/types.js';

const SHA = 'a'.repeat(64);
const CTX = { mirror: 'http://mirror.example/debian', registry: 'https://registry.example' };

describe('expandSourceUrl', () => {
  it.each([
    [
      '$DEBIAN_MIRROR/pool/main/h/hello/hello.deb',
      'http://mirror.example/debian/pool/main/h/hello/hello.deb',
    ],
    ['$NPM_REGISTRY/npm/-/npm-10.8.2.tgz', 'https://registry.example/npm/-/npm-10.8.2.tgz'],
    ['https://example.org/x.tgz', 'https://example.org/x.tgz'],
    // Only a leading variable followed by a slash is expanded.
    ['https://example.org/$DEBIAN_MIRROR/x', 'https://example.org/$DEBIAN_MIRROR/x'],
    ['$DEBIAN_MIRRORX/pool', '$DEBIAN_MIRRORX/pool'],
    ['$NPM_REGISTRY', '$NPM_REGISTRY'],
  ])('%s → %s', (url, expected) => {
    expect(expandSourceUrl(url, CTX)).toBe(expected);
  });
});

describe('unpackScript', () => {
  it.each<[string, Source, string]>([
    [
      'an npm package drops its package/ directory',
      { kind: 'npm', package: 'npm', version: '10.8.2', dest: '/usr/local/node' },
      "mkdir -p '/usr/local/node' && tar --extract --file '/b/x' --directory '/usr/local/node' --strip-components=1 --no-same-owner",
    ],
    [
      'a url archive keeps strip_components',
      {
        kind: 'url',
        url: 'https://e.org/Python-3.12.8.tar.xz',
        sha256: SHA,
        dest: '/build/src',
        strip_components: 1,
      },
      "mkdir -p '/build/src' && tar --extract --file '/b/x' --directory '/build/src' --strip-components=1 --no-same-owner",
    ],
    [
      'a .tgz with no strip_components strips nothing',
      { kind: 'url', url: 'https://e.org/a.tgz?token=1', sha256: SHA, dest: '/opt/a' },
      "mkdir -p '/opt/a' && tar --extract --file '/b/x' --directory '/opt/a' --strip-components=0 --no-same-owner",
    ],
    [
      'a plain file is copied to dest',
      { kind: 'url', url: 'https://e.org/data/cacert.pem', sha256: SHA, dest: '/etc/ssl/cacert.pem' },
      "mkdir -p '/etc/ssl' && cp '/b/x' '/etc/ssl/cacert.pem'",
    ],
    [
      'a file source archive',
      { kind: 'file', path: 'files/tool.tar.gz', sha256: SHA, dest: '/opt/tool' },
      "mkdir -p '/opt/tool' && tar --extract --file '/b/x' --directory '/opt/tool' --strip-components=0 --no-same-owner",
    ],
    [
      'a quote in dest is quoted for the shell',
      { kind: 'file', path: 'notes.txt', sha256: SHA, dest: "/opt/it's/notes.txt" },
      `mkdir -p '/opt/it'\\''s' && cp '/b/x' '/opt/it'\\''s/notes.txt'`,
    ],
  ])('%s', (_what, source, script) => {
    expect(unpackScript(source, '/b/x')).toBe(script);
  });

  describe('run by a real shell', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'jrt-unpack-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const sh = (script: string) => {
      const r = spawnSync('/bin/sh', ['-ec', script], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
    };

    it('puts an npm tarball’s contents (not package/) at dest', () => {
      mkdirSync(path.join(tmp, 'src/package/bin'), { recursive: true });
      writeFileSync(path.join(tmp, 'src/package/bin/tool'), 'tool\n');
      const tgz = path.join(tmp, 'pkg.tgz');
      sh(`tar --create --gzip --file '${tgz}' --directory '${tmp}/src' package`);
      const dest = path.join(tmp, "dest dir/with 'quote'");
      sh(unpackScript({ kind: 'npm', package: 'tool', version: '1.0.0', dest }, tgz));
      expect(readFileSync(path.join(dest, 'bin/tool'), 'utf8')).toBe('tool\n');
    });

    it('copies a plain file to dest, making its directory', () => {
      const blob = path.join(tmp, 'blob');
      writeFileSync(blob, 'data\n');
      const dest = path.join(tmp, 'deep/er/file.txt');
      sh(unpackScript({ kind: 'url', url: 'https://e.org/file.txt', sha256: SHA, dest }, blob));
      expect(readFileSync(dest, 'utf8')).toBe('data\n');
    });
  });
});
