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
 *
 * A classic BPF program over struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}, for the
 * three ABIs an x86-64 kernel runs: x86_64, x32 (bit 30 set in the number) and i386. The ioctl
 * request is compared on its low 32 bits, which is all the tty layer reads. Pure: built once, as bytes.
 */

const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
/** args[1], low 32 bits (little-endian). */
const OFFSET_ARG1_LOW = 24;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
const X32_BIT = 0x40000000;
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ERRNO_EPERM = 0x00050000 | 1;

const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_RET_K = 0x06;

type Op =
  | { label: string }
  | { load: number }
  | { ifEquals: number; jumpTo: string; otherwise?: string }
  | { ret: number };

/** System call numbers per ABI: ioctl (refused for two requests) and key management (refused). */
const ABIS: { arch: number; label: string; ioctl: number[]; keys: number[] }[] = [
  {
    arch: AUDIT_ARCH_X86_64,
    label: 'x86_64',
    // x32 shares the x86_64 arch value and sets bit 30; its ioctl is 514 (16 is 64-bit only, but
    // refusing it costs nothing).
    ioctl: [16, X32_BIT | 16, X32_BIT | 514],
    // add_key, request_key, keyctl
    keys: [248, 249, 250, X32_BIT | 248, X32_BIT | 249, X32_BIT | 250],
  },
  { arch: AUDIT_ARCH_I386, label: 'i386', ioctl: [54], keys: [286, 287, 288] },
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
    ops.push(...anyOf(abi.keys, 'deny'), ...anyOf(abi.ioctl, 'request', 'allow'));
  }
  ops.push(
    { label: 'request' },
    { load: OFFSET_ARG1_LOW },
    ...anyOf([TIOCSTI, TIOCLINUX], 'deny', 'allow'),
    { label: 'allow' },
    { ret: SECCOMP_RET_ALLOW },
    { label: 'deny' },
    { ret: SECCOMP_RET_ERRNO_EPERM },
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
      out.writeUInt16LE(BPF_JMP_JEQ_K, at);
      out.writeUInt8(jump(op.jumpTo), at + 2);
      out.writeUInt8(jump(op.otherwise), at + 3);
      out.writeUInt32LE(op.ifEquals >>> 0, at + 4);
    }
  });
  return out;
}

export const JOB_SECCOMP_FILTER: Buffer = assemble(program());
