import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isJks, normalizeJks } from '../../../src/builder/jks.js';
import { tempDirSync } from '../../helpers/temp.js';

const HOST_CACERTS = '/etc/ssl/certs/java/cacerts';

function keyedDigestOk(buf: Buffer): boolean {
  const body = buf.subarray(0, buf.length - 20);
  const d = createHash('sha1')
    .update(Buffer.from('changeit', 'utf16le').swap16())
    .update('Mighty Aphrodite')
    .update(body)
    .digest();
  return d.equals(buf.subarray(buf.length - 20));
}

describe('normalizeJks', () => {
  it('needs a real JKS keystore to test against', () => {
    expect(
      isJks(readFileSync(HOST_CACERTS)),
      `${HOST_CACERTS} (package ca-certificates-java) must exist and be JKS`,
    ).toBe(true);
  });

  it('keeps the keyed digest valid and every certificate, and sets every date', () => {
    const original = readFileSync(HOST_CACERTS);
    expect(keyedDigestOk(original)).toBe(true);
    const a = normalizeJks(original, 1_700_000_000_000);
    expect(a).toBeDefined();
    expect(a?.length).toBe(original.length);
    expect(keyedDigestOk(a as Buffer)).toBe(true);
    // Normalising again with the same epoch is stable; another epoch changes the bytes.
    expect(normalizeJks(a as Buffer, 1_700_000_000_000)?.equals(a as Buffer)).toBe(true);
    expect(normalizeJks(a as Buffer, 1_600_000_000_000)?.equals(a as Buffer)).toBe(false);
    // keytool still reads it, with the same number of entries.
    const dir = tempDirSync('jrt-jks-');
    writeFileSync(path.join(dir, 'cacerts'), a as Buffer);
    const list = (f: string) =>
      execFileSync('keytool', ['-list', '-keystore', f, '-storepass', 'changeit'], { encoding: 'utf8' });
    const count = (text: string) => (text.match(/trustedCertEntry/g) ?? []).length;
    const after = list(path.join(dir, 'cacerts'));
    expect(count(after)).toBe(count(list(HOST_CACERTS)));
    expect(after).toMatch(/Nov 14, 2023/);
  });

  it('refuses what is not a keystore', () => {
    expect(normalizeJks(Buffer.from('not a keystore at all, clearly not'), 0)).toBeUndefined();
    const truncated = readFileSync(HOST_CACERTS).subarray(0, 500);
    expect(normalizeJks(truncated, 0)).toBeUndefined();
  });
});
