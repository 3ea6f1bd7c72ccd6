import { describe, expect, it } from 'vitest';
import {
  debFileName,
  missingPackages,
  parseSimulation,
  parseStanzas,
  toDebianInputs,
} from '../../../src/builder/debian.js';

describe('parseSimulation', () => {
  it.each([
    [
      'Inst libssl3 (3.0.20-1~deb12u2 Debian:12.15/oldstable [amd64])',
      { package: 'libssl3', version: '3.0.20-1~deb12u2', architecture: 'amd64' },
    ],
    [
      'Inst ca-certificates (20230311+deb12u1 Debian:12.15/oldstable [all])',
      { package: 'ca-certificates', version: '20230311+deb12u1', architecture: 'all' },
    ],
    [
      'Inst libc6 [2.36-9] (2.36-9+deb12u4 Debian:12.15/oldstable [amd64])',
      { package: 'libc6', version: '2.36-9+deb12u4', architecture: 'amd64' },
    ],
    [
      'Inst python3-numpy:amd64 (1:1.24.2-1+deb12u1 Debian:12.15/oldstable [amd64])',
      { package: 'python3-numpy', version: '1:1.24.2-1+deb12u1', architecture: 'amd64' },
    ],
  ])('%s', (line, expected) => {
    expect(parseSimulation(`NOTE: x\n${line}\nConf foo (1 Debian [all])\n`)).toEqual([expected]);
  });
});

describe('parseStanzas', () => {
  it('reads fields, continuation lines and several stanzas', () => {
    const text = 'Package: a\nVersion: 1\nDescription: short\n long line\n\nPackage: b\nSHA256: ff\n';
    expect(parseStanzas(text)).toEqual([
      { Package: 'a', Version: '1', Description: 'short\nlong line' },
      { Package: 'b', SHA256: 'ff' },
    ]);
  });

  it('turns index stanzas into inputs and refuses one without a checksum', () => {
    const ok = {
      Package: 'a',
      Version: '1:2-3',
      Architecture: 'amd64',
      Filename: 'pool/main/a/a_2-3_amd64.deb',
      Size: '10',
      SHA256: 'ab'.repeat(32),
    };
    expect(toDebianInputs([ok])).toEqual([
      {
        package: 'a',
        version: '1:2-3',
        architecture: 'amd64',
        filename: ok.Filename,
        size: 10,
        sha256: ok.SHA256,
      },
    ]);
    expect(() => toDebianInputs([{ ...ok, SHA256: '' }])).toThrow(/lacks Filename, Size or SHA256/);
  });
});

describe('missingPackages', () => {
  it('names the packages apt could not find', () => {
    const stderr = 'E: Unable to locate package nosuch-pkg\nE: Unable to locate package other\n';
    expect(missingPackages(stderr).sort()).toEqual(['nosuch-pkg', 'other']);
    expect(missingPackages("E: Package 'gone' has no installation candidate")).toEqual(['gone']);
  });
});

describe('debFileName', () => {
  it('keeps out the characters apt-get reads as patterns', () => {
    const input = {
      package: 'libssl3',
      version: '1:3.0-1~deb12u2',
      architecture: 'amd64',
      filename: '',
      size: 0,
      sha256: '',
    };
    expect(debFileName(input)).toBe('libssl3_amd64.deb');
  });
});
