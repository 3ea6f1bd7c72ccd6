/**
 * Reading a whole file that came from outside (an artifact, a lock) only up to a cap, checked on the
 * open file before its contents are read; a file that grows meanwhile is cut at the cap and refused.
 *
 * Synchronous underneath: these files are small (capped), and on `jrt exec`'s start path every
 * asynchronous open/stat/read/close is a round trip through libuv's thread pool (about 0.2 ms each
 * on these machines, five per file, two files per installed runtime).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class TooLargeError extends Error {
  readonly code = 'EFBIG';
}

export function readCappedSync(file: string, max: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > max) throw new TooLargeError(`${file} is larger than ${max} bytes (${size})`);
    const buf = Buffer.alloc(size + 1);
    let got = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) throw new TooLargeError(`${file} grew past ${size} bytes while it was read`);
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export async function readCapped(file: string, max: number): Promise<Buffer> {
  return readCappedSync(file, max);
}
