/**
 * A minimal, deterministic ustar encoder. Only what jrt archives need: files, directories,
 * symlinks; uid/gid 0, empty user/group names, one fixed mtime. Paths or targets that do not fit the
 * ustar fields get a pax 'x' header holding only `path`/`linkpath` (no host data such as atime).
 */

export const BLOCK = 512;

export type TarType = 'file' | 'dir' | 'symlink';

export interface TarHeader {
  path: string;
  type: TarType;
  mode: number;
  size: number;
  mtime: number;
  linkpath?: string;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', dir: '5', symlink: '2' };

function octal(value: number, width: number): string {
  // width includes the terminating NUL
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function splitUstarName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '')
      return { name: rest, prefix };
  }
  return undefined;
}

function rawHeader(h: {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  b.write(octal(h.mode, 8), 100, 'ascii');
  b.write(octal(0, 8), 108, 'ascii');
  b.write(octal(0, 8), 116, 'ascii');
  b.write(octal(h.size, 12), 124, 'ascii');
  b.write(octal(h.mtime, 12), 136, 'ascii');
  b.write('        ', 148, 'ascii');
  b.write(h.typeflag, 156, 'ascii');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  b.write(octal(0, 8), 329, 'ascii');
  b.write(octal(0, 8), 337, 'ascii');
  b.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${len}${body}`) !== len) len = Buffer.byteLength(`${len}${body}`);
  return `${len}${body}`;
}

export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The header block(s) of one entry (a pax header first when a name does not fit ustar). */
export function encodeHeader(h: TarHeader): Buffer {
  const fullName = h.type === 'dir' ? `${h.path}/` : h.path;
  const split = splitUstarName(fullName);
  const link = h.linkpath ?? '';
  const records: string[] = [];
  if (!split) records.push(paxRecord('path', fullName));
  if (Buffer.byteLength(link) > 100) records.push(paxRecord('linkpath', link));
  if (h.size > 0o77777777777) records.push(paxRecord('size', String(h.size)));
  const main = rawHeader({
    name: split ? split.name : fullName.slice(-100).replace(/^[^/]*\//, ''),
    prefix: split ? split.prefix : '',
    mode: h.mode,
    size: h.size > 0o77777777777 ? 0 : h.size,
    mtime: h.mtime,
    typeflag: TYPEFLAG[h.type],
    linkname: Buffer.byteLength(link) > 100 ? '' : link,
  });
  if (records.length === 0) return main;
  const body = Buffer.from(records.join(''), 'utf8');
  const pax = rawHeader({
    name: 'PaxHeader',
    prefix: '',
    mode: 0o644,
    size: body.length,
    mtime: h.mtime,
    typeflag: 'x',
    linkname: '',
  });
  return Buffer.concat([pax, body, padding(body.length), main]);
}

/** The end of an archive: two zero blocks. */
export const TAR_END = Buffer.alloc(BLOCK * 2);
