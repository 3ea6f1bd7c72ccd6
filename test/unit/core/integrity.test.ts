import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { integrityMismatch, strongestHash } from '../../../src/core/integrity.js';

const BYTES = Buffer.from('the tarball');
const sri = (alg: string, b: Buffer = BYTES) => `${alg}-${createHash(alg).update(b).digest('base64')}`;
const digests = (b: Buffer) => ({
  sha512: createHash('sha512').update(b).digest('base64'),
  sha384: createHash('sha384').update(b).digest('base64'),
  sha256: createHash('sha256').update(b).digest('base64'),
});

describe('strongestHash', () => {
  it.each([
    [sri('sha512'), 'sha512'],
    [sri('sha384'), 'sha384'],
    [sri('sha256'), 'sha256'],
    [`${sri('sha256')} ${sri('sha512')}`, 'sha512'],
    [`${sri('sha1')} ${sri('sha384')}`, 'sha384'],
    [`${sri('sha512')}?foo`, 'sha512'],
  ])('%s → %s', (integrity, algorithm) => {
    expect(strongestHash(integrity)).toMatchObject({ algorithm });
  });

  it.each([
    ['', /empty/],
    [sri('sha1'), /only weak hashes \(sha1\)/],
    [sri('md5'), /only weak/],
    ['whirlpool-AAAA', /unknown integrity algorithm 'whirlpool'/],
    [`${sri('sha512')} blake3-AAAA`, /unknown integrity algorithm 'blake3'/],
    ['sha512-AAAA', /not a sha512 digest \(wrong length\)/],
    ['sha512', /not an SRI hash/],
    ['sha512-\u001b[2J', /not an SRI hash/],
  ])('refuses %j', (integrity, problem) => {
    const got = strongestHash(integrity);
    expect('problem' in got && got.problem).toMatch(problem);
  });
});

describe('integrityMismatch verifies the strongest hash, whatever it is', () => {
  const other = Buffer.from('other bytes');
  it.each(['sha512', 'sha384', 'sha256'])('%s: the right bytes pass, other bytes do not', (alg) => {
    expect(integrityMismatch(sri(alg), digests(BYTES), 'x')).toBeUndefined();
    expect(integrityMismatch(sri(alg), digests(other), 'x')).toBe(
      `expected ${sri(alg)}, got ${sri(alg, other)}`,
    );
  });

  it('a weak pin is refused outright (ERR_JRT_INTEGRITY_WEAK), not skipped', () => {
    expect(() => integrityMismatch(sri('sha1'), digests(BYTES), 'npm x@1.0.0')).toThrow(
      expect.objectContaining({ code: 'ERR_JRT_INTEGRITY_WEAK' }),
    );
  });

  it('with several hashes of the strongest algorithm, one matching is enough', () => {
    expect(
      integrityMismatch(`${sri('sha512', other)} ${sri('sha512')}`, digests(BYTES), 'x'),
    ).toBeUndefined();
  });
});
