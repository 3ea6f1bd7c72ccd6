/** sha256 of files and bytes, hex: the one place jrt hashes whole inputs (streams hash as they copy). */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  // Small files in one synchronous read: per-call thread-pool round trips dominate otherwise.
  const st = statSync(file);
  if (st.size <= 1 << 20) return hash.update(readFileSync(file)).digest('hex');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Any digest of a file, streamed (for an npm integrity's sha384/sha512 in base64). */
export async function hashFile(
  file: string,
  algorithm: 'sha256' | 'sha384' | 'sha512',
  encoding: 'hex' | 'base64',
): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest(encoding);
}

export function sha256Bytes(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}
