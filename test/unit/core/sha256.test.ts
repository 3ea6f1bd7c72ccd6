import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/core/sha256.js';

const nodeSha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe("sha256Hex (plain JS, for jrt exec's start path)", () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex('a'.repeat(1_000_000))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('agrees with node:crypto at every length around the block and padding boundaries, and on random inputs', () => {
    for (let n = 0; n <= 200; n++) {
      const b = randomBytes(n);
      expect(sha256Hex(b), `length ${n}`).toBe(nodeSha256(b));
    }
    for (let i = 0; i < 200; i++) {
      const b = randomBytes(Math.floor(Math.random() * 70_000));
      expect(sha256Hex(b), `length ${b.length}`).toBe(nodeSha256(b));
    }
  });

  it('hashes a string as its UTF-8 bytes', () => {
    const s = 'name: "jrt ✓ ü 日本"\n';
    expect(sha256Hex(s)).toBe(nodeSha256(Buffer.from(s, 'utf8')));
  });
});
