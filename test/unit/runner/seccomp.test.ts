import { describe, expect, it } from 'vitest';
import {
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
  JOB_SECCOMP_FILTER,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO_ENOSYS,
  SECCOMP_RET_ERRNO_EPERM,
  TIOCLINUX,
  TIOCSTI,
} from '../../../src/runner/seccomp.js';

/** Runs a classic BPF program (the four opcodes the filter uses) over a struct seccomp_data. */
function evaluate(
  program: Buffer,
  call: { arch: number; nr: number; arg1: bigint; args?: bigint[] },
): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch, 4);
  for (const [i, a] of (call.args ?? [0n, call.arg1]).entries()) data.writeBigUInt64LE(a, 16 + 8 * i);
  let acc = 0;
  for (let pc = 0; pc < program.length / 8; pc++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = data.readUInt32LE(k);
    else if (code === 0x06) return k;
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x45) pc += (acc & k) !== 0 ? jt : jf;
    else throw new Error(`unexpected opcode ${code.toString(16)} at ${pc}`);
  }
  throw new Error('the program fell off its end');
}

const X32 = 0x40000000;

describe('the job seccomp filter', () => {
  it.each<[string, number, number, bigint, number]>([
    ['x86_64 ioctl TIOCSTI', AUDIT_ARCH_X86_64, 16, BigInt(TIOCSTI), SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 ioctl TIOCLINUX', AUDIT_ARCH_X86_64, 16, BigInt(TIOCLINUX), SECCOMP_RET_ERRNO_EPERM],
    // The tty layer reads the request as 32 bits: high bits set must not slip past.
    [
      'x86_64 ioctl TIOCSTI with high bits',
      AUDIT_ARCH_X86_64,
      16,
      (1n << 32n) | BigInt(TIOCSTI),
      SECCOMP_RET_ERRNO_EPERM,
    ],
    ['x32 compat ioctl TIOCSTI', AUDIT_ARCH_X86_64, X32 | 514, BigInt(TIOCSTI), SECCOMP_RET_ERRNO_EPERM],
    ['x32 ioctl 16 TIOCSTI', AUDIT_ARCH_X86_64, X32 | 16, BigInt(TIOCSTI), SECCOMP_RET_ERRNO_EPERM],
    ['i386 ioctl TIOCSTI', AUDIT_ARCH_I386, 54, BigInt(TIOCSTI), SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 ioctl TCGETS', AUDIT_ARCH_X86_64, 16, 0x5401n, SECCOMP_RET_ALLOW],
    ['x86_64 ioctl FIONREAD', AUDIT_ARCH_X86_64, 16, 0x541bn, SECCOMP_RET_ALLOW],
    [
      'x86_64 read with TIOCSTI as its 2nd argument',
      AUDIT_ARCH_X86_64,
      0,
      BigInt(TIOCSTI),
      SECCOMP_RET_ALLOW,
    ],
    ['i386 syscall 16 (lchown) with TIOCSTI', AUDIT_ARCH_I386, 16, BigInt(TIOCSTI), SECCOMP_RET_ALLOW],
    ['another architecture', 0xc00000b7, 29, BigInt(TIOCSTI), SECCOMP_RET_ALLOW],
    ['x86_64 keyctl', AUDIT_ARCH_X86_64, 250, 0n, SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 add_key', AUDIT_ARCH_X86_64, 248, 0n, SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 request_key', AUDIT_ARCH_X86_64, 249, 0n, SECCOMP_RET_ERRNO_EPERM],
    ['x32 keyctl', AUDIT_ARCH_X86_64, X32 | 250, 0n, SECCOMP_RET_ERRNO_EPERM],
    ['i386 keyctl', AUDIT_ARCH_I386, 288, 0n, SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 ioprio_set, next to keyctl', AUDIT_ARCH_X86_64, 251, 0n, SECCOMP_RET_ALLOW],
    ['x86_64 waitid', AUDIT_ARCH_X86_64, 247, 0n, SECCOMP_RET_ALLOW],
    ['i386 syscall 250 (fadvise64)', AUDIT_ARCH_I386, 250, 0n, SECCOMP_RET_ALLOW],
  ])('%s', (_what, arch, nr, arg1, expected) => {
    expect(evaluate(JOB_SECCOMP_FILTER, { arch, nr, arg1 })).toBe(expected);
  });
});

const O_CREAT = 0o100n;
const O_TMPFILE = 0o20200000n;

describe('the job seccomp filter and set-id bits', () => {
  it.each<[string, number, number, bigint[], number]>([
    ['x86_64 chmod 4755', AUDIT_ARCH_X86_64, 90, [0n, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 chmod 2755', AUDIT_ARCH_X86_64, 90, [0n, 0o2755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 chmod 1777 (sticky is fine)', AUDIT_ARCH_X86_64, 90, [0n, 0o1777n], SECCOMP_RET_ALLOW],
    ['x86_64 chmod 755', AUDIT_ARCH_X86_64, 90, [0n, 0o755n], SECCOMP_RET_ALLOW],
    ['x86_64 fchmod 4755', AUDIT_ARCH_X86_64, 91, [3n, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 fchmodat 4755', AUDIT_ARCH_X86_64, 268, [0n, 0n, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 fchmodat2 6755', AUDIT_ARCH_X86_64, 452, [0n, 0n, 0o6755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 fchmodat 644', AUDIT_ARCH_X86_64, 268, [0n, 0n, 0o644n], SECCOMP_RET_ALLOW],
    ['x86_64 creat 4755', AUDIT_ARCH_X86_64, 85, [0n, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 mknod S_IFREG|4755', AUDIT_ARCH_X86_64, 133, [0n, 0o104755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 mknodat S_IFREG|4755', AUDIT_ARCH_X86_64, 259, [0n, 0n, 0o104755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 open O_CREAT 4755', AUDIT_ARCH_X86_64, 2, [0n, O_CREAT, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['x86_64 open O_CREAT 644', AUDIT_ARCH_X86_64, 2, [0n, O_CREAT, 0o644n], SECCOMP_RET_ALLOW],
    // Without O_CREAT the mode argument is whatever was in the register: never refused for it.
    ['x86_64 open O_RDONLY, garbage mode', AUDIT_ARCH_X86_64, 2, [0n, 0n, 0o7777n], SECCOMP_RET_ALLOW],
    [
      'x86_64 openat O_CREAT 2755',
      AUDIT_ARCH_X86_64,
      257,
      [0n, 0n, O_CREAT, 0o2755n],
      SECCOMP_RET_ERRNO_EPERM,
    ],
    [
      'x86_64 openat O_TMPFILE 4755',
      AUDIT_ARCH_X86_64,
      257,
      [0n, 0n, O_TMPFILE, 0o4755n],
      SECCOMP_RET_ERRNO_EPERM,
    ],
    ['x86_64 openat O_RDWR, mode 4755', AUDIT_ARCH_X86_64, 257, [0n, 0n, 2n, 0o4755n], SECCOMP_RET_ALLOW],
    ['x86_64 openat2', AUDIT_ARCH_X86_64, 437, [], SECCOMP_RET_ERRNO_ENOSYS],
    ['x86_64 io_uring_setup', AUDIT_ARCH_X86_64, 425, [], SECCOMP_RET_ERRNO_ENOSYS],
    ['x32 chmod 4755', AUDIT_ARCH_X86_64, X32 | 90, [0n, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    [
      'x32 openat O_CREAT 4755',
      AUDIT_ARCH_X86_64,
      X32 | 257,
      [0n, 0n, O_CREAT, 0o4755n],
      SECCOMP_RET_ERRNO_EPERM,
    ],
    ['i386 chmod 4755', AUDIT_ARCH_I386, 15, [0n, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['i386 fchmodat 4755', AUDIT_ARCH_I386, 306, [0n, 0n, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['i386 open O_CREAT 4755', AUDIT_ARCH_I386, 5, [0n, O_CREAT, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['i386 openat O_CREAT 4755', AUDIT_ARCH_I386, 295, [0n, 0n, O_CREAT, 0o4755n], SECCOMP_RET_ERRNO_EPERM],
    ['i386 openat2', AUDIT_ARCH_I386, 437, [], SECCOMP_RET_ERRNO_ENOSYS],
    ['i386 syscall 90 (mmap) with mode bits', AUDIT_ARCH_I386, 90, [0n, 0o4755n], SECCOMP_RET_ALLOW],
  ])('%s', (_what, arch, nr, args, expected) => {
    expect(evaluate(JOB_SECCOMP_FILTER, { arch, nr, arg1: 0n, args })).toBe(expected);
  });
});
