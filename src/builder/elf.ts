/**
 * A minimal ELF reader (ELF32 and ELF64, little-endian): enough to know what the dynamic loader
 * will look for. Pure: a Buffer in, facts out; malformed input gives an error message, not a throw.
 */

export const ET = { REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
export const EM = { X86: 3, ARM: 40, X86_64: 62, AARCH64: 183, RISCV: 243 } as const;

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

export interface ElfInfo {
  class: 32 | 64;
  type: number;
  machine: number;
  interp?: string;
  needed: string[];
  soname?: string;
  rpath: string[];
  runpath: string[];
  /** Has a PT_DYNAMIC segment (dynamically linked). */
  dynamic: boolean;
}

export function isElf(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

export type ElfParse = { ok: true; elf: ElfInfo } | { ok: false; error: string };

export function parseElf(buf: Buffer): ElfParse {
  if (!isElf(buf)) return { ok: false, error: 'not an ELF file' };
  if (buf.length < 52) return { ok: false, error: 'truncated ELF header' };
  const cls = buf[4] === 2 ? 64 : buf[4] === 1 ? 32 : 0;
  if (cls === 0) return { ok: false, error: `unknown ELF class ${buf[4]}` };
  if (buf[5] !== 1) return { ok: false, error: 'big-endian ELF is not supported' };
  const is64 = cls === 64;
  if (is64 && buf.length < 64) return { ok: false, error: 'truncated ELF header' };
  const word = (off: number): number => (is64 ? Number(buf.readBigUInt64LE(off)) : buf.readUInt32LE(off));
  const type = buf.readUInt16LE(16);
  const machine = buf.readUInt16LE(18);
  const phoff = word(is64 ? 32 : 28);
  const phentsize = buf.readUInt16LE(is64 ? 54 : 42);
  const phnum = buf.readUInt16LE(is64 ? 56 : 44);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + (is64 ? 56 : 32) > buf.length) return { ok: false, error: 'program headers beyond end of file' };
    segments.push(
      is64
        ? {
            type: buf.readUInt32LE(at),
            offset: word(at + 8),
            vaddr: word(at + 16),
            filesz: word(at + 32),
          }
        : {
            type: buf.readUInt32LE(at),
            offset: buf.readUInt32LE(at + 4),
            vaddr: buf.readUInt32LE(at + 8),
            filesz: buf.readUInt32LE(at + 16),
          },
    );
  }
  const elf: ElfInfo = {
    class: cls,
    type,
    machine,
    needed: [],
    rpath: [],
    runpath: [],
    dynamic: false,
  };
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) {
    if (interp.offset + interp.filesz > buf.length)
      return { ok: false, error: 'PT_INTERP beyond end of file' };
    elf.interp = cString(buf, interp.offset, interp.offset + interp.filesz);
  }
  const dyn = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dyn) return { ok: true, elf };
  elf.dynamic = true;
  const entsize = is64 ? 16 : 8;
  const entries: [number, number][] = [];
  for (
    let at = dyn.offset;
    at + entsize <= dyn.offset + dyn.filesz && at + entsize <= buf.length;
    at += entsize
  ) {
    const tag = is64 ? Number(buf.readBigInt64LE(at)) : buf.readInt32LE(at);
    if (tag === DT_NULL) break;
    entries.push([tag, word(at + (is64 ? 8 : 4))]);
  }
  const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
  if (strtabAddr === undefined) return { ok: false, error: 'PT_DYNAMIC without DT_STRTAB' };
  const load = segments.find(
    (s) => s.type === PT_LOAD && strtabAddr >= s.vaddr && strtabAddr < s.vaddr + s.filesz,
  );
  if (!load) return { ok: false, error: 'DT_STRTAB is not inside a loaded segment' };
  const strtab = strtabAddr - load.vaddr + load.offset;
  const str = (off: number): string => cString(buf, strtab + off, buf.length);
  for (const [tag, val] of entries) {
    if (tag === DT_NEEDED) elf.needed.push(str(val));
    else if (tag === DT_SONAME) elf.soname = str(val);
    else if (tag === DT_RPATH) elf.rpath.push(...splitPath(str(val)));
    else if (tag === DT_RUNPATH) elf.runpath.push(...splitPath(str(val)));
  }
  return { ok: true, elf };
}

function splitPath(s: string): string[] {
  return s.split(':').filter((d) => d !== '');
}

function cString(buf: Buffer, start: number, end: number): string {
  let stop = start;
  while (stop < end && stop < buf.length && buf[stop] !== 0) stop++;
  return buf.toString('utf8', start, stop);
}
