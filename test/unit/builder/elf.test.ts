import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EM, ET, isElf, parseElf } from '../../../src/builder/elf.js';
import { makeElf } from '../../fixtures/closure/make-elf.js';

function parsed(buf: Buffer) {
  const r = parseElf(buf);
  if (!r.ok) throw new Error(`parse failed: ${r.error}`);
  return r.elf;
}

describe('parseElf on synthetic files', () => {
  it.each([32, 64] as const)('reads ELF%i type, machine, interp, needed, soname, rpath, runpath', (cls) => {
    const elf = parsed(
      makeElf({
        cls,
        type: ET.EXEC,
        machine: cls === 64 ? EM.X86_64 : EM.X86,
        interp: '/lib64/ld-linux-x86-64.so.2',
        needed: ['libfoo.so.1', 'libc.so.6'],
        soname: 'libself.so.2',
        rpath: '$ORIGIN/../lib:/opt/x',
        runpath: '$ORIGIN',
      }),
    );
    expect(elf).toEqual({
      class: cls,
      type: ET.EXEC,
      machine: cls === 64 ? EM.X86_64 : EM.X86,
      interp: '/lib64/ld-linux-x86-64.so.2',
      needed: ['libfoo.so.1', 'libc.so.6'],
      soname: 'libself.so.2',
      rpath: ['$ORIGIN/../lib', '/opt/x'],
      runpath: ['$ORIGIN'],
      dynamic: true,
    });
  });

  it('a static binary has no dynamic section and no needed libs', () => {
    const elf = parsed(makeElf({ type: ET.EXEC, noDynamic: true }));
    expect(elf.dynamic).toBe(false);
    expect(elf.needed).toEqual([]);
    expect(elf.interp).toBeUndefined();
  });

  it.each([
    ['not ELF', Buffer.from('#!/bin/sh\necho hi\n'), 'not an ELF file'],
    ['truncated header', makeElf({}).subarray(0, 30), 'truncated ELF header'],
    [
      'big-endian',
      Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 2]), Buffer.alloc(64)]),
      'big-endian',
    ],
    ['program headers cut off', makeElf({ needed: ['a.so'] }).subarray(0, 80), 'program headers beyond end'],
  ])('%s gives an error, not a throw', (_name, buf, error) => {
    const r = parseElf(buf);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });

  it('isElf looks at the magic only', () => {
    expect(isElf(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))).toBe(true);
    expect(isElf(Buffer.from('ELF!'))).toBe(false);
  });
});

describe('parseElf on real host binaries', () => {
  it('/bin/ls is a PIE executable with the x86-64 loader as interpreter and needs libc', () => {
    const elf = parsed(readFileSync('/bin/ls'));
    expect(elf.class).toBe(64);
    expect(elf.machine).toBe(EM.X86_64);
    expect(elf.type).toBe(ET.DYN);
    expect(elf.interp).toBe('/lib64/ld-linux-x86-64.so.2');
    expect(elf.needed).toContain('libc.so.6');
    expect(elf.needed).toContain('libselinux.so.1');
  });

  it('libc.so.6 names itself and needs the loader', () => {
    const elf = parsed(readFileSync('/usr/lib/x86_64-linux-gnu/libc.so.6'));
    expect(elf.soname).toBe('libc.so.6');
    expect(elf.needed).toEqual(['ld-linux-x86-64.so.2']);
    expect(elf.interp).toBe('/lib64/ld-linux-x86-64.so.2');
  });

  it("the JDK's libjava.so carries RPATH $ORIGIN and needs libjvm.so", () => {
    const elf = parsed(readFileSync('/usr/lib/jvm/java-17-openjdk-amd64/lib/libjava.so'));
    expect(elf.rpath).toEqual(['$ORIGIN']);
    expect(elf.needed).toContain('libjvm.so');
    expect(elf.interp).toBeUndefined();
  });
});
