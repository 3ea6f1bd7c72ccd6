/**
 * Java KeyStores (JKS) carry a creation time per entry, so Debian's generated
 * /etc/ssl/certs/java/cacerts differs between two otherwise identical builds. Rewriting every
 * timestamp to SOURCE_DATE_EPOCH and recomputing the keyed SHA-1 trailer makes it reproducible
 * without changing a certificate. Pure; format: magic FEEDFEED, version, count, entries, SHA-1.
 */
import { createHash } from 'node:crypto';

const MAGIC = 0xfeedfeed;
const TRUSTED_CERT = 2;
const PRIVATE_KEY = 1;

export function isJks(buf: Buffer): boolean {
  return buf.length > 32 && buf.readUInt32BE(0) === MAGIC;
}

/** Returns a copy of `buf` with all entry dates set to `epochMs`, or undefined if it cannot be parsed. */
export function normalizeJks(buf: Buffer, epochMs: number, password = 'changeit'): Buffer | undefined {
  if (!isJks(buf)) return undefined;
  const out = Buffer.from(buf);
  const version = out.readUInt32BE(4);
  if (version !== 1 && version !== 2) return undefined;
  const count = out.readUInt32BE(8);
  let off = 12;
  const readUtf = () => {
    const len = out.readUInt16BE(off);
    off += 2 + len;
  };
  const readCert = () => {
    if (version === 2) readUtf(); // certificate type, e.g. "X.509"
    const len = out.readUInt32BE(off);
    off += 4 + len;
  };
  try {
    for (let i = 0; i < count; i++) {
      const tag = out.readUInt32BE(off);
      off += 4;
      readUtf(); // alias
      out.writeBigUInt64BE(BigInt(epochMs), off);
      off += 8;
      if (tag === TRUSTED_CERT) readCert();
      else if (tag === PRIVATE_KEY) {
        const keyLen = out.readUInt32BE(off);
        off += 4 + keyLen;
        const chain = out.readUInt32BE(off);
        off += 4;
        for (let c = 0; c < chain; c++) readCert();
      } else return undefined;
    }
  } catch {
    return undefined;
  }
  if (off + 20 !== out.length) return undefined;
  const digest = createHash('sha1')
    .update(Buffer.from(password, 'utf16le').swap16())
    .update('Mighty Aphrodite', 'utf8')
    .update(out.subarray(0, off))
    .digest();
  digest.copy(out, off);
  return out;
}
