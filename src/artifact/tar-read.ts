/**
 * A streaming tar parser that reports every entry as it really is (type, mode, link target) and
 * never touches the filesystem itself: the caller decides, per entry, whether and where bytes go.
 * Understands ustar, pax 'x'/'g' headers and GNU long names ('L'/'K').
 */
import { BLOCK } from './tar-format.js';

export interface RawEntry {
  path: string;
  /** The tar typeflag: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, ... */
  typeflag: string;
  /** All mode bits of the header (permission, setuid/setgid/sticky). */
  mode: number;
  size: number;
  mtime: number;
  linkpath: string;
}

/** Where an entry's body goes; `undefined` from the handler skips the body. */
export interface EntrySink {
  write(chunk: Buffer): Promise<void>;
  /** Called once the whole body was written. */
  end(): Promise<void>;
}

export class TarFormatError extends Error {}

function byteReader(source: AsyncIterable<Buffer>) {
  const it = source[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  let done = false;
  async function fill(min: number): Promise<boolean> {
    while (buf.length < min && !done) {
      const r = await it.next();
      if (r.done) done = true;
      else buf = buf.length === 0 ? r.value : Buffer.concat([buf, r.value]);
    }
    return buf.length >= min;
  }
  return {
    /** Exactly n bytes, or undefined at a clean end of input (nothing left). */
    async exact(n: number): Promise<Buffer | undefined> {
      if (!(await fill(n))) {
        if (buf.length === 0) return undefined;
        throw new TarFormatError('archive is truncated');
      }
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      return out;
    },
    /** Between 1 and max bytes. */
    async some(max: number): Promise<Buffer> {
      if (!(await fill(1))) throw new TarFormatError('archive is truncated');
      const n = Math.min(max, buf.length);
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      return out;
    },
  };
}

function field(b: Buffer, start: number, len: number): string {
  const raw = b.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function numeric(b: Buffer, start: number, len: number): number {
  const raw = b.subarray(start, start + len);
  if ((raw[0] ?? 0) & 0x80) {
    // base-256 (GNU) for large values
    let v = 0;
    for (let i = 1; i < raw.length; i++) v = v * 256 + (raw[i] ?? 0);
    return v;
  }
  const text = field(b, start, len).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number.parseInt(body.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) throw new TarFormatError('malformed pax header');
    const record = body.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** Walk the archive, calling `onEntry` for every real entry in order. */
export async function parseTar(
  source: AsyncIterable<Buffer>,
  onEntry: (e: RawEntry) => Promise<EntrySink | undefined>,
): Promise<void> {
  const r = byteReader(source);
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  const readBody = async (size: number, sink: EntrySink | undefined) => {
    let left = size;
    while (left > 0) {
      const chunk = await r.some(Math.min(left, 1 << 20));
      left -= chunk.length;
      if (sink) await sink.write(chunk);
    }
    const pad = size % BLOCK === 0 ? 0 : BLOCK - (size % BLOCK);
    if (pad > 0 && !(await r.exact(pad))) throw new TarFormatError('archive is truncated');
    if (sink) await sink.end();
  };
  const readSmall = async (size: number): Promise<Buffer> => {
    if (size > 16 << 20) throw new TarFormatError('metadata header larger than 16 MiB');
    const parts: Buffer[] = [];
    await readBody(size, { write: async (c) => void parts.push(Buffer.from(c)), end: async () => {} });
    return Buffer.concat(parts);
  };
  for (;;) {
    const h = await r.exact(BLOCK);
    if (!h) throw new TarFormatError('archive ends without its end-of-archive blocks');
    if (h.every((b) => b === 0)) return;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    if (sum !== numeric(h, 148, 8)) throw new TarFormatError('header checksum mismatch');
    const typeflag = String.fromCharCode(h[156] ?? 0);
    const size = numeric(h, 124, 12);
    if (typeflag === 'x') {
      pax = parsePax(await readSmall(size));
      continue;
    }
    if (typeflag === 'g') {
      await readSmall(size);
      continue;
    }
    if (typeflag === 'L' || typeflag === 'K') {
      const text = (await readSmall(size)).toString('utf8').replace(/\0+$/, '');
      if (typeflag === 'L') longName = text;
      else longLink = text;
      continue;
    }
    const prefix = field(h, 345, 155);
    const name = field(h, 0, 100);
    const entry: RawEntry = {
      path: pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name),
      typeflag: typeflag === '\0' ? '0' : typeflag,
      mode: numeric(h, 100, 8),
      size: pax.size !== undefined ? Number(pax.size) : size,
      mtime: numeric(h, 136, 12),
      linkpath: pax.linkpath ?? longLink ?? field(h, 157, 100),
    };
    pax = {};
    longName = undefined;
    longLink = undefined;
    const sink = await onEntry(entry);
    // Only regular files carry a body in the archives jrt accepts; others are refused by the caller.
    await readBody(entry.typeflag === '0' || entry.typeflag === '7' ? entry.size : 0, sink);
  }
}
