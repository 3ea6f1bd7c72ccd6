/**
 * Reading a whole file that came from outside (an artifact, a lock) only up to a cap, checked on the
 * open file before its contents are read; a file that grows meanwhile is cut at the cap and refused.
 */
import { open } from 'node:fs/promises';

export class TooLargeError extends Error {
  readonly code = 'EFBIG';
}

export async function readCapped(file: string, max: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size > max) throw new TooLargeError(`${file} is larger than ${max} bytes (${size})`);
    const buf = Buffer.alloc(size + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) throw new TooLargeError(`${file} grew past ${size} bytes while it was read`);
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}
