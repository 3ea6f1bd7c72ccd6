/**
 * npm's `integrity` (Subresource Integrity: `sha512-<base64>`, several space-separated hashes
 * allowed). The strongest algorithm present is the one verified; an integrity whose strongest hash
 * is weak (sha1, md5) or that names an algorithm jrt does not know is refused, never skipped — a
 * `sha256-` pin used to be accepted with any bytes because only `sha512-` was checked. Pure.
 */
import { failure } from './errors.js';

/** The SRI algorithms jrt verifies, strongest first. */
export const SRI_ALGORITHMS = ['sha512', 'sha384', 'sha256'] as const;
export type SriAlgorithm = (typeof SRI_ALGORITHMS)[number];

const DIGEST_BYTES: Record<SriAlgorithm, number> = { sha512: 64, sha384: 48, sha256: 32 };
const WEAK = new Set(['sha1', 'md5']);

export interface StrongestHash {
  algorithm: SriAlgorithm;
  /** Every base64 digest given for that algorithm (SRI: any one may match). */
  digests: string[];
}

/** The strongest hashes of an SRI string, or why it is refused. */
export function strongestHash(integrity: string): StrongestHash | { problem: string } {
  const tokens = integrity.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return { problem: 'empty integrity' };
  const by = new Map<SriAlgorithm, string[]>();
  for (const token of tokens) {
    const m = /^([a-z0-9]+)-([A-Za-z0-9+/]+={0,2})(\?[\x21-\x7e]*)?$/.exec(token);
    if (!m) return { problem: `'${printable(token)}' is not an SRI hash (algorithm-base64)` };
    const [, alg, digest] = m as unknown as [string, string, string];
    if (WEAK.has(alg)) continue;
    if (!(SRI_ALGORITHMS as readonly string[]).includes(alg))
      return {
        problem: `unknown integrity algorithm '${printable(alg)}' (jrt verifies sha512, sha384, sha256)`,
      };
    const a = alg as SriAlgorithm;
    if (Buffer.from(digest, 'base64').length !== DIGEST_BYTES[a])
      return { problem: `'${printable(token)}' is not a ${a} digest (wrong length)` };
    by.set(a, [...(by.get(a) ?? []), digest]);
  }
  const algorithm = SRI_ALGORITHMS.find((a) => by.has(a));
  if (!algorithm)
    return {
      problem: `only weak hashes (${tokens.map((t) => printable(t.split('-')[0] ?? '')).join(', ')}): jrt needs sha256 or stronger`,
    };
  return { algorithm, digests: by.get(algorithm) as string[] };
}

/** Throw ERR_JRT_INTEGRITY_WEAK unless `integrity` has a hash jrt can verify. */
export function assertStrongIntegrity(integrity: string, what: string): StrongestHash {
  const s = strongestHash(integrity);
  if ('problem' in s)
    throw failure('ERR_JRT_INTEGRITY_WEAK', `${what}: integrity refused: ${s.problem}`, {
      hint: 'pin the package with a sha512 (or sha384, sha256) integrity, as `npm view PKG@VERSION dist.integrity` prints it',
    });
  return s;
}

/** Why bytes with these digests do not match `integrity`, or undefined when they do. */
export function integrityMismatch(
  integrity: string,
  actual: Record<SriAlgorithm, string>,
  what: string,
): string | undefined {
  const s = assertStrongIntegrity(integrity, what);
  const got = actual[s.algorithm];
  return s.digests.includes(got) ? undefined : `expected ${integrity}, got ${s.algorithm}-${got}`;
}

const printable = (s: string) => s.slice(0, 120).replace(/[^\x20-\x7e]/g, '?');
