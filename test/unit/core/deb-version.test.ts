import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareDebianVersions } from '../../../src/core/deb-version.js';

// Pairs as dpkg orders them (a < b).
const OLDER: [string, string][] = [
  ['3.0.15-1~deb12u1', '3.0.17-1~deb12u2'],
  ['2.36-9+deb12u9', '2.36-9+deb12u10'],
  ['1.0~rc1', '1.0'],
  ['1.0', '1.0-1'],
  ['1.0-1', '1.0-1+b1'],
  ['1.0-1+deb12u1', '1.0-1+deb12u1+b1'],
  ['9', '10'],
  ['1:0.9', '2:0.1'],
  ['0.9', '1:0.1'],
  ['1.2a', '1.2b'],
  ['1.2', '1.2a'],
  ['1.2~', '1.2'],
  ['1.2~~', '1.2~'],
  ['1.01', '1.2'],
  ['18.20.4+dfsg-1~deb12u1', '18.20.8+dfsg-1~deb12u1'],
  ['17.0.15+6-1~deb12u1', '17.0.16+8-1~deb12u1'],
  ['1.22.6-1~bpo12+1', '1.22.12-1~bpo12+1'],
];

describe('compareDebianVersions', () => {
  it.each(OLDER)('%s < %s', (a, b) => {
    expect(compareDebianVersions(a, b)).toBe(-1);
    expect(compareDebianVersions(b, a)).toBe(1);
    expect(compareDebianVersions(a, a)).toBe(0);
  });

  it('agrees with dpkg --compare-versions on every pair', () => {
    for (const [a, b] of OLDER) {
      const lt = (() => {
        try {
          execFileSync('dpkg', ['--compare-versions', a, 'lt', b]);
          return true;
        } catch {
          return false;
        }
      })();
      expect(lt, `${a} < ${b}`).toBe(true);
    }
  });

  it('1.0 and 1.00 and 1:1.0 vs 0:1.0 are equal', () => {
    expect(compareDebianVersions('1.0', '1.00')).toBe(0);
    expect(compareDebianVersions('0:1.0', '1.0')).toBe(0);
  });
});
