import { describe, expect, it } from 'vitest';
import {
  cleanVersion,
  definitionDownload,
  goVersionFile,
  javaRelease,
  matchKind,
  nodeVersionHeader,
  pythonPatchlevel,
  rustcManifestVersion,
  rustDistDownload,
  upstreamOfDebian,
} from '../../../src/migrate/versions.js';

describe('upstream versions of Debian packages', () => {
  it.each([
    ['3.11.2-6+deb12u6', '3.11.2'],
    ['17.0.15+6-1~deb12u1', '17.0.15'],
    ['20.20.2-1nodesource1+repack1', '20.20.2'],
    ['18.19.0+dfsg-6~deb12u2', '18.19.0'],
    ['1.63.0+dfsg1-2', '1.63.0'],
    ['2:1.19~1', '1.19'],
    ['1.22.1-1~bpo12+1', '1.22.1'],
    ['garbage', undefined],
  ])('%s → %s', (debian, upstream) => {
    expect(upstreamOfDebian(debian)).toBe(upstream);
  });
});

describe('versions read from files', () => {
  it('reads patchlevel.h, release, node_version.h, VERSION and the rustup manifest', () => {
    expect(pythonPatchlevel('#define PY_MINOR_VERSION 11\n#define PY_VERSION "3.11.7"\n')).toBe('3.11.7');
    expect(pythonPatchlevel('#define PY_VERSION "3.13.0rc1"\n')).toBe('3.13.0');
    expect(javaRelease('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="25.0.3"\n')).toBe('25.0.3');
    expect(javaRelease('JAVA_VERSION="21"\n')).toBe('21');
    expect(
      nodeVersionHeader(
        '#define NODE_MAJOR_VERSION 18\n#define NODE_MINOR_VERSION 20\n#define NODE_PATCH_VERSION 8\n',
      ),
    ).toBe('18.20.8');
    expect(goVersionFile('go1.22.1\ntime 2024\n')).toBe('1.22.1');
    expect(
      rustcManifestVersion(
        '[pkg.cargo]\nversion = "0.1"\n[pkg.rustc]\nversion = "1.95.0 (59807616e 2026-04-14)"\n',
      ),
    ).toBe('1.95.0');
  });

  it('keeps only what looks like a version: text an attacker planted is dropped', () => {
    expect(cleanVersion('v18.20.8')).toBe('18.20.8');
    expect(cleanVersion('3.11.7\n\u001b[2J')).toBeUndefined();
    expect(pythonPatchlevel('#define PY_VERSION "$(rm -rf /)"\n')).toBeUndefined();
    expect(javaRelease('JAVA_VERSION="17\u001b]0;x\u0007"\n')).toBeUndefined();
    expect(cleanVersion('1.2.3.4.5')).toBeUndefined();
  });

  it('finds the https tarball and sha256 a pyenv or goenv definition recorded, .tgz first', () => {
    const sha = 'f'.repeat(64);
    const def = `install_package "openssl-1.1.1o" "https://x/openssl.tar.gz#${'1'.repeat(64)}"\nif has_tar_xz_support; then\n  install_package "Python-3.10.13" "https://www.python.org/ftp/python/3.10.13/Python-3.10.13.tar.xz#${'2'.repeat(64)}" standard\nelse\n  install_package "Python-3.10.13" "https://www.python.org/ftp/python/3.10.13/Python-3.10.13.tgz#${sha}" standard\nfi\n`;
    expect(definitionDownload(def, 'Python-3.10.13')).toEqual({
      url: 'https://www.python.org/ftp/python/3.10.13/Python-3.10.13.tgz',
      sha256: sha,
    });
    expect(
      definitionDownload(
        `install_package "Python-3.9.1" "http://insecure/Python-3.9.1.tgz#${sha}"`,
        'Python-3.9.1',
      ),
    ).toBeUndefined();
    const manifest = `[pkg.rust.target.x86_64-unknown-linux-gnu]\navailable = true\nurl = "https://static.rust-lang.org/dist/rust-1.95.0-x86_64-unknown-linux-gnu.tar.gz"\nhash = "${sha}"\nxz_url = "x"\n\n[pkg.rustc]\n`;
    expect(rustDistDownload(manifest, 'x86_64-unknown-linux-gnu')).toEqual({
      url: 'https://static.rust-lang.org/dist/rust-1.95.0-x86_64-unknown-linux-gnu.tar.gz',
      sha256: sha,
    });
    expect(rustDistDownload(manifest, 'aarch64-unknown-linux-gnu')).toBeUndefined();
  });
});

describe('how a recipe relates to a host install', () => {
  it.each([
    ['3.11.2', '3.11.2', 2, 'exact'],
    ['17.0.15', '17.0.19', 1, 'newer-patch'],
    ['3.11.7', '3.11.2', 2, 'older-patch'],
    ['3.11.10', '3.11.9', 2, 'older-patch'],
    ['17.0.15', '17', 1, 'same-series'],
    ['3.11', '3.11.2', 2, 'same-series'],
  ] as const)('host %s, recipe %s → %s', (host, offered, parts, kind) => {
    expect(matchKind(host, offered, parts)).toBe(kind);
  });
});
