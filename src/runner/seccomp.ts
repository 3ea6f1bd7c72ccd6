/**
 * The seccomp filter every job runs under (bwrap --seccomp). Everything is allowed but:
 * - ioctl TIOCSTI and TIOCLINUX (EPERM). TIOCSTI pushes characters into a terminal's input,
 *   TIOCLINUX can read and paste a virtual console's screen: with either, a job holding the caller's
 *   terminal could type commands into the caller's shell. `--new-session` already takes the job off
 *   that terminal's session (the kernel then refuses TIOCSTI); the filter holds even where that would
 *   not (as flatpak does).
 * - add_key, request_key and keyctl (EPERM). Kernel keyrings are not namespaced: a job would hold
 *   its caller's session keyring and could read the keys in it (Docker's default profile refuses
 *   these calls too).
 * - setting S_ISUID or S_ISGID (EPERM): chmod, fchmod, fchmodat(2), and creat, mknod(at), open(at)
 *   with O_CREAT/O_TMPFILE, when the mode has either bit. openat2 and io_uring are ENOSYS: they
 *   create files with a mode the filter cannot see.
 *
 * A classic BPF program over struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}, for the
 * three ABIs an x86-64 kernel runs: x86_64, x32 (bit 30 set in the number) and i386. The ioctl
 * request is compared on its low 32 bits, which is all the tty layer reads. Pure: built once, as bytes.
 */

const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
/** args[n], low 32 bits (little-endian): every flag and mode the rules read is there. */
const argLow = (n: number) => 16 + 8 * n;
const OFFSET_ARG1_LOW = argLow(1);

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
const X32_BIT = 0x40000000;
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ERRNO_EPERM = 0x00050000 | 1;
export const SECCOMP_RET_ERRNO_ENOSYS = 0x00050000 | 38;
/** S_ISUID | S_ISGID. */
export const SET_ID_BITS = 0o6000;
/** O_CREAT | __O_TMPFILE: the open flags with which the mode argument means something. */
const OPEN_CREATES = 0o100 | 0o20000000;

const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JSET_K = 0x45;
const BPF_RET_K = 0x06;

type Op =
  | { label: string }
  | { load: number }
  | { ifEquals: number; jumpTo: string; otherwise?: string }
  | { ifAnyBit: number; jumpTo: string; otherwise?: string }
  | { ret: number };

/**
 * System call numbers per ABI. `modeArg`: calls that create or chmod a file, with the index of
 * their mode argument; `openFlags`: open calls, with the index of their flags (the mode follows).
 */
interface Abi {
  arch: number;
  label: string;
  ioctl: number[];
  denied: number[];
  unknown: number[];
  modeArg: Record<number, number[]>;
  openFlags: Record<number, number[]>;
}

const x32 = (nrs: number[]) => [...nrs, ...nrs.map((n) => X32_BIT | n)];

const ABIS: Abi[] = [
  {
    arch: AUDIT_ARCH_X86_64,
    label: 'x86_64',
    // x32 shares the x86_64 arch value and sets bit 30; its ioctl is 514 (16 is 64-bit only, but
    // refusing it costs nothing).
    ioctl: [16, X32_BIT | 16, X32_BIT | 514],
    // add_key, request_key, keyctl
    denied: x32([248, 249, 250]),
    // openat2 (its mode is behind a pointer) and io_uring (which opens files on its own): as if the
    // kernel had none, so libraries use open/openat.
    unknown: x32([437, 425, 426, 427]),
    // chmod, fchmod, creat, mknod | fchmodat, mknodat, fchmodat2
    modeArg: { 1: x32([90, 91, 85, 133]), 2: x32([268, 259, 452]) },
    // open | openat
    openFlags: { 1: x32([2]), 2: x32([257]) },
  },
  {
    arch: AUDIT_ARCH_I386,
    label: 'i386',
    ioctl: [54],
    denied: [286, 287, 288],
    unknown: [437, 425, 426, 427],
    modeArg: { 1: [15, 94, 8, 14], 2: [306, 297, 452] },
    openFlags: { 1: [5], 2: [295] },
  },
];

/** Jump to `target` when the loaded value is one of `values`; past the last, to `otherwise` if given. */
function anyOf(values: number[], target: string, otherwise?: string): Op[] {
  return values.map((v, i) =>
    i === values.length - 1 && otherwise
      ? { ifEquals: v, jumpTo: target, otherwise }
      : { ifEquals: v, jumpTo: target },
  );
}

function program(): Op[] {
  const ops: Op[] = [{ load: OFFSET_ARCH }];
  for (const abi of ABIS)
    ops.push(...anyOf([abi.arch], abi.label, abi === ABIS.at(-1) ? 'allow' : undefined));
  for (const abi of ABIS) {
    ops.push({ label: abi.label }, { load: OFFSET_NR });
    ops.push(...anyOf(abi.denied, 'deny'), ...anyOf(abi.unknown, 'nosys'));
    for (const [arg, nrs] of Object.entries(abi.modeArg)) ops.push(...anyOf(nrs, `mode${arg}`));
    for (const [arg, nrs] of Object.entries(abi.openFlags)) ops.push(...anyOf(nrs, `open${arg}`));
    ops.push(...anyOf(abi.ioctl, 'request', 'allow'));
  }
  // A job may not make a set-user-ID or set-group-ID file: its directories are idmapped, so what it
  // creates belongs on the host to their owner (root, for a directory of root's), and such a file
  // would run as that owner for anyone who can reach it.
  for (const flags of [1, 2]) {
    ops.push({ label: `open${flags}` }, { load: argLow(flags) });
    ops.push({ ifAnyBit: OPEN_CREATES, jumpTo: `mode${flags + 1}`, otherwise: 'allow' });
  }
  for (const mode of [1, 2, 3]) {
    ops.push({ label: `mode${mode}` }, { load: argLow(mode) });
    ops.push({ ifAnyBit: SET_ID_BITS, jumpTo: 'deny', otherwise: 'allow' });
  }
  ops.push(
    { label: 'request' },
    { load: OFFSET_ARG1_LOW },
    ...anyOf([TIOCSTI, TIOCLINUX], 'deny', 'allow'),
    { label: 'allow' },
    { ret: SECCOMP_RET_ALLOW },
    { label: 'deny' },
    { ret: SECCOMP_RET_ERRNO_EPERM },
    { label: 'nosys' },
    { ret: SECCOMP_RET_ERRNO_ENOSYS },
  );
  return ops;
}

/** Assemble: labels become relative jump offsets; each instruction is 8 bytes (struct sock_filter). */
function assemble(ops: Op[]): Buffer {
  const labels = new Map<string, number>();
  const code: Exclude<Op, { label: string }>[] = [];
  for (const op of ops) {
    if ('label' in op) labels.set(op.label, code.length);
    else code.push(op);
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((op, i) => {
    const at = i * 8;
    const jump = (label: string | undefined) => {
      if (label === undefined) return 0; // fall through to the next instruction
      const target = labels.get(label);
      if (target === undefined || target <= i) throw new Error(`seccomp: bad jump to ${label}`);
      return target - i - 1;
    };
    if ('load' in op) {
      out.writeUInt16LE(BPF_LD_W_ABS, at);
      out.writeUInt32LE(op.load, at + 4);
    } else if ('ret' in op) {
      out.writeUInt16LE(BPF_RET_K, at);
      out.writeUInt32LE(op.ret, at + 4);
    } else {
      const equals = 'ifEquals' in op;
      out.writeUInt16LE(equals ? BPF_JMP_JEQ_K : BPF_JMP_JSET_K, at);
      out.writeUInt8(jump(op.jumpTo), at + 2);
      out.writeUInt8(jump(op.otherwise), at + 3);
      out.writeUInt32LE((equals ? op.ifEquals : op.ifAnyBit) >>> 0, at + 4);
    }
  });
  return out;
}

export const JOB_SECCOMP_FILTER: Buffer = assemble(program());
