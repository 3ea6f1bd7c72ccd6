/**
 * The seccomp filter every job runs under (bwrap --seccomp): ioctl TIOCSTI and TIOCLINUX fail with
 * EPERM. TIOCSTI pushes characters into a terminal's input, TIOCLINUX can read and paste a virtual
 * console's screen: with either, a job holding the caller's terminal could type commands into the
 * caller's shell. `--new-session` already takes the job off that terminal's session (the kernel then
 * refuses TIOCSTI); the filter holds even where that would not (as flatpak does). Everything else is
 * allowed.
 *
 * A classic BPF program over struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}, for the
 * three ABIs an x86-64 kernel runs: x86_64 (ioctl 16), x32 (ioctl 514 and 16, with bit 30 set) and
 * i386 (ioctl 54). The request is compared on its low 32 bits, which is all the tty layer reads.
 * Pure: built once, as bytes.
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

const PROGRAM: Op[] = [
  { load: OFFSET_ARCH },
  { ifEquals: AUDIT_ARCH_X86_64, jumpTo: 'x86_64' },
  { ifEquals: AUDIT_ARCH_I386, jumpTo: 'i386', otherwise: 'allow' },
  { label: 'x86_64' },
  { load: OFFSET_NR },
  { ifEquals: 16, jumpTo: 'request' },
  { ifEquals: X32_BIT | 16, jumpTo: 'request' },
  { ifEquals: X32_BIT | 514, jumpTo: 'request', otherwise: 'allow' },
  { label: 'i386' },
  { load: OFFSET_NR },
  { ifEquals: 54, jumpTo: 'request', otherwise: 'allow' },
  { label: 'request' },
  { load: OFFSET_ARG1_LOW },
  { ifEquals: TIOCSTI, jumpTo: 'deny' },
  { ifEquals: TIOCLINUX, jumpTo: 'deny', otherwise: 'allow' },
  { label: 'allow' },
  { ret: SECCOMP_RET_ALLOW },
  { label: 'deny' },
  { ret: SECCOMP_RET_ERRNO_EPERM },
];

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

export const JOB_SECCOMP_FILTER: Buffer = assemble(PROGRAM);
