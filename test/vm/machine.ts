/**
 * One VM of the test bed: qemu (KVM) boots an image from image.ts with a throwaway overlay over its
 * disk (-drive snapshot=on: the cached image never changes), host directories shared by virtiofs,
 * qemu's user network (the guest reaches what the host reaches: here the Debian mirror and the npm
 * registry) and sshd forwarded to a port on the host's loopback only. Commands run as root over ssh,
 * each in the login session sshd opens (a session scope, as an operator's shell).
 *
 * The VM always goes: stop() at the end of a test file; and qemu and virtiofsd are started with
 * PR_SET_PDEATHSIG (setpriv --pdeathsig KILL), so they die with the test process however it ends —
 * Ctrl-C, a failed test, SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { tempDir } from '../helpers/temp.js';
import type { Image } from './image.js';

/** A host directory the guest mounts at `guest` (mount tag = its index). */
export interface Share {
  host: string;
  guest: string;
  readonly?: boolean;
}

export interface RunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface Vm {
  /** From qemu's start to the first command answered, in ms. */
  bootMs: number;
  /** Run a shell command line as root in the guest (sh -c), in sshd's login session. */
  run(command: string, opts?: { timeoutMs?: number }): Promise<RunResult>;
  stop(): Promise<void>;
}

const VIRTIOFSD = '/usr/lib/qemu/virtiofsd';

/**
 * KVM, or the reason the bed cannot run. JRT_VM_ACCEL=tcg runs it under software emulation instead
 * (10-30 times slower: for checking the bed itself on a machine without KVM, not for CI's budget).
 */
export function accelerator(): 'kvm' | 'tcg' {
  if (process.env.JRT_VM_ACCEL === 'tcg') return 'tcg';
  // kvm-pvm (a Pagetable-based VM, what some cloud sandboxes offer for nesting without VMX/SVM) runs
  // only guest kernels built for PVM: Debian's kernel hangs right after decompression there, and
  // qemu -cpu host aborts setting MSR 0x10a. Seen on this project's CI machines (2026-12-02).
  if (
    existsSync('/sys/module/kvm_pvm') &&
    !existsSync('/sys/module/kvm_intel') &&
    !existsSync('/sys/module/kvm_amd')
  ) {
    throw new Error(
      "the VM test bed needs hardware KVM (kvm_intel or kvm_amd): this /dev/kvm is kvm-pvm, which boots only PVM-enabled guest kernels, not Debian's; run it on a host with VMX/SVM (or JRT_VM_ACCEL=tcg for slow software emulation)",
    );
  }
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR));
    return 'kvm';
  } catch (e) {
    throw new Error(
      `the VM test bed needs KVM: /dev/kvm cannot be opened (${(e as NodeJS.ErrnoException).code}); run it on a host with KVM (or JRT_VM_ACCEL=tcg for slow software emulation)`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Started so that it dies with this process (and its output kept for the error message). */
function startTied(file: string, args: string[], logs: string[]): ChildProcess {
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    logs.push(d.toString());
    if (logs.length > 200) logs.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

export async function bootVm(
  image: Image,
  shares: Share[],
  opts: { memoryMiB?: number; cpus?: number; bootTimeoutMs?: number } = {},
): Promise<Vm> {
  const accel = accelerator();
  for (const tool of ['qemu-system-x86_64', 'ssh', 'setpriv'])
    if (!existsSync(`/usr/bin/${tool}`)) throw new Error(`the VM test bed needs /usr/bin/${tool}`);
  if (shares.length > 0 && !existsSync(VIRTIOFSD))
    throw new Error(`the VM test bed needs ${VIRTIOFSD} (Debian qemu-system-common)`);
  const tmp = await tempDir('jrt-vm-');
  const logs: string[] = [];
  const children: ChildProcess[] = [];
  const memory = opts.memoryMiB ?? 2048;
  const args = [
    '-machine',
    `q35,accel=${accel},memory-backend=mem`,
    '-object',
    `memory-backend-memfd,id=mem,size=${memory}M,share=on`,
    '-cpu',
    accel === 'kvm' ? 'host' : 'max',
    '-smp',
    String(opts.cpus ?? 2),
    '-m',
    `${memory}M`,
    '-nographic',
    '-no-reboot',
    '-monitor',
    'none',
    '-serial',
    `file:${path.join(tmp, 'serial.log')}`,
    '-kernel',
    image.kernel,
    '-initrd',
    image.initrd,
    '-append',
    'root=/dev/vda rw console=ttyS0 quiet net.ifnames=0 panic=-1',
    '-drive',
    `file=${image.disk},if=virtio,format=raw,snapshot=on`,
  ];
  for (const [i, share] of shares.entries()) {
    const socket = path.join(tmp, `fs${i}.sock`);
    await mkdir(share.host, { recursive: true });
    children.push(
      startTied(
        VIRTIOFSD,
        [`--socket-path=${socket}`, '-o', `source=${share.host}`, '-o', 'cache=auto'],
        logs,
      ),
    );
    await waitFor(() => existsSync(socket), 10_000, `virtiofsd for ${share.host} did not start`);
    args.push('-chardev', `socket,id=fs${i},path=${socket}`);
    args.push('-device', `vhost-user-fs-pci,chardev=fs${i},tag=fs${i}`);
  }
  const port = await freePort();
  args.push('-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`, '-device', 'virtio-net-pci,netdev=n0');
  const start = Date.now();
  const qemu = startTied('qemu-system-x86_64', args, logs);
  children.push(qemu);
  const stop = async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
  };
  const control = path.join(tmp, 'ssh.sock');
  const direct = [
    '-i',
    image.sshKey,
    '-p',
    String(port),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=60',
    '-o',
    'ServerAliveInterval=10',
    '-o',
    'ServerAliveCountMax=30',
    'root@127.0.0.1',
    '--',
  ];
  const sshArgs = ['-S', control, ...direct];
  const run = (command: string, o: { timeoutMs?: number } = {}) =>
    sshRun(sshArgs, command, o.timeoutMs ?? 30 * 60_000);
  const bootTimeout = opts.bootTimeoutMs ?? (accel === 'kvm' ? 60_000 : 1_200_000);
  try {
    for (;;) {
      if (qemu.exitCode !== null) throw new Error(`qemu exited with ${qemu.exitCode}: ${logs.join('')}`);
      const r = await sshRun(direct, 'true', 30_000);
      if (r.exitCode === 0) break;
      if (Date.now() - start > bootTimeout)
        throw new Error(
          `the ${image.suite} VM did not answer ssh within ${bootTimeout} ms: ${logs.join('')}`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
    const bootMs = Date.now() - start;
    // One connection for every command (channels of it): no handshake per command, which a slow
    // guest could not always answer in time. It is a login session like any sshd connection.
    children.push(startTied('ssh', ['-M', '-N', ...sshArgs.slice(0, -1)], logs));
    await waitFor(() => existsSync(control), 60_000, 'the ssh control connection did not come up');
    const mounts = shares
      .map(
        (s, i) => `mkdir -p ${s.guest} && mount -t virtiofs${s.readonly ? ' -o ro' : ''} fs${i} ${s.guest}`,
      )
      .join(' && ');
    if (mounts) {
      const r = await run(mounts);
      if (r.exitCode !== 0) throw new Error(`mounting the shares failed: ${r.stderr}`);
    }
    return {
      bootMs,
      run,
      async stop() {
        // The shares may hold the guest's writes in its page cache: flush them, then pull the plug
        // (the disk is a throwaway overlay; nothing else needs a clean shutdown).
        await run('sync', { timeoutMs: 60_000 }).catch(() => {});
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function sshRun(sshArgs: string[], command: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn('ssh', [...sshArgs, command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      stderr += `\n(test bed: killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, stdout, stderr });
    });
  });
}

async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 20));
  }
}
