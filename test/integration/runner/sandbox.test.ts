/**
 * jrt exec on real namespaces, mounts and cgroups (root). The fixture runtime's /usr is the host's,
 * bind-mounted read-only, so sh, coreutils and python3 exist inside.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_UID_BASE, JOB_UID_COUNT } from '../../../src/runner/job-uid.js';
import { addHostRuntime, addNetRuntime, requireSandboxHost } from '../../fixtures/runtimes/host-runtime.js';
import { jobRecords } from '../../helpers/jobs.js';
import { BUNDLE, type JrtHome, jrtExec, makeJrtHome, runJrt } from '../../helpers/jrt.js';
import { HOST_PORT, inOutsideWorld, OUTSIDE } from '../../helpers/outside-network.js';

let t: JrtHome;
let runtimeDir: string;
const RT = '--runtime=host:12';

beforeAll(async () => {
  requireSandboxHost();
  t = await makeJrtHome({ prefix: 'jrt-runner-test-' });
  runtimeDir = await addHostRuntime(t, {
    name: 'host-12',
    language: 'host',
    version: '12.1',
    environment: { PATH_PREPEND: '/opt/rt/bin', RT_VAR: 'from-runtime' },
    min_memory: '32m',
  });
});
afterAll(async () => {
  await t?.dispose();
});

/**
 * `command` in a sandbox like a job's (uid 65534, all namespaces, new session, the host's /usr) but
 * without jrt's seccomp filter and --disable-userns: the control run that shows a check can see them.
 */
function withoutJrtHardening(command: string[]): string {
  return execFileSync(
    'setpriv',
    [
      ...['--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', 'bwrap'],
      ...['--unshare-all', '--unshare-user', '--uid', '65534', '--gid', '65534', '--new-session'],
      ...['--ro-bind', '/usr', '/usr', '--ro-bind', '/usr/lib', '/lib', '--ro-bind', '/usr/lib64', '/lib64'],
      ...['--ro-bind', '/usr/bin', '/bin', '--proc', '/proc', '--dev', '/dev', '--', ...command],
    ],
    { encoding: 'utf8' },
  );
}

describe('a runtime that leaves /etc to the job host (as Joblet expects)', () => {
  it("gets the job host's resolv.conf and a hosts file where localhost resolves, in an /etc of no mount", async () => {
    // host-12 mounts only the host's /usr: nothing covers /etc, as with recipes since jrt 0.3.
    const job = `import socket; print(open('/etc/hosts').read().splitlines()[0]); print(socket.gethostbyname('localhost'))`;
    const r = await jrtExec(t, [RT, '--network=host', '--', 'python3', '-c', job]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('127.0.0.1\tlocalhost\n127.0.0.1\n');
    const conf = await jrtExec(t, [RT, '--network=host', '--', 'cat', '/etc/resolv.conf']);
    expect(conf.stdout).toBe(readFileSync('/etc/resolv.conf', 'utf8'));
    // Read-only to the job, and held in the idmap helper's memory: no file of jrt's behind it.
    const write = await jrtExec(t, [RT, '--', 'sh', '-c', 'echo x >> /etc/hosts']);
    expect(write.exitCode).not.toBe(0);
    expect(existsSync(path.join(t.state, 'job-etc'))).toBe(false);
  });

  it('gets a passwd and group naming its own uid (home /work), so getpwuid answers; nothing is left of them', async () => {
    const job =
      'import getpass, grp, os, pwd; p = pwd.getpwuid(os.getuid()); ' +
      'print(getpass.getuser(), p.pw_dir, grp.getgrgid(os.getgid()).gr_name, p.pw_uid == os.getuid())';
    const r = await jrtExec(t, [RT, '--', 'python3', '-c', job]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('job /work job True\n');
    const shell = await jrtExec(t, [
      RT,
      '--',
      'sh',
      '-c',
      'id -un; grep -c . /etc/passwd; echo x >> /etc/passwd',
    ]);
    expect(shell.stdout).toBe('job\n3\n');
    expect(shell.exitCode).not.toBe(0);
    // Written into the idmap helper's private tmpfs, gone with the job: nothing in JRT_STATE.
    expect(existsSync(path.join(t.state, 'job-etc'))).toBe(false);
  });
});

describe('jrt exec isolation', () => {
  it('runs as a uid of its own with no capabilities, in /work, with only the runtime environment', async () => {
    const r = await jrtExec(
      t,
      [
        RT,
        '--env',
        'MINE=1',
        '--',
        'sh',
        '-c',
        'id -u; id -g; pwd; grep CapEff /proc/self/status; env | sort',
      ],
      {
        env: { CALLER_SECRET: 'leak', HOME: '/root' },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const uid = Number(lines[0]);
    expect(uid).toBeGreaterThanOrEqual(JOB_UID_BASE);
    expect(uid).toBeLessThan(JOB_UID_BASE + JOB_UID_COUNT);
    expect(lines.slice(1, 4)).toEqual([String(uid), '/work', 'CapEff:\t0000000000000000']);
    expect(lines.slice(4)).toEqual([
      'HOME=/work',
      'MINE=1',
      'PATH=/opt/rt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'PWD=/work',
      'RT_VAR=from-runtime',
    ]);
  });

  it('has its own pid and uts namespaces: sees only its own processes, hostname jrt', async () => {
    const r = await jrtExec(t, [RT, '--', 'sh', '-c', 'hostname; ls /proc | grep -c "^[0-9][0-9]*$"']);
    const [hostname, count] = r.stdout.trim().split('\n');
    expect(hostname).toBe('jrt');
    // bwrap's init, sh, ls and grep at most: none of the host's processes.
    expect(Number(count)).toBeLessThanOrEqual(4);
    expect(Number(count)).toBeGreaterThanOrEqual(2);
  });

  it('--user picks the uid and gid; --json prints the record on stdout after the output', async () => {
    const r = await jrtExec(t, ['--json', RT, '--user', '1000:1001', '--', 'sh', '-c', 'id -u; id -g']);
    const [uid, gid, json] = r.stdout.trim().split('\n');
    expect([uid, gid]).toEqual(['1000', '1001']);
    expect(JSON.parse(json as string)).toMatchObject({
      runtime: 'host-12',
      argv: ['sh', '-c', 'id -u; id -g'],
      exitStatus: 0,
      reason: 'exit',
      limits: { uid: 1000, gid: 1001, network: 'none' },
    });
  });

  it('cannot write the runtime', async () => {
    const r = await jrtExec(t, [
      RT,
      '--',
      'sh',
      '-c',
      'echo x > /usr/jrt-probe || echo x > /bin/jrt-probe || exit 9',
    ]);
    expect(r.exitCode).toBe(9);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(existsSync(path.join(runtimeDir, 'rootfs/usr/jrt-probe'))).toBe(false);
    expect(existsSync('/usr/jrt-probe')).toBe(false);
  });

  it('cannot read host files that are not mounted', async () => {
    const secret = path.join(t.home, 'secret.txt');
    await writeFile(secret, 'top secret', { mode: 0o644 });
    const r = await jrtExec(t, [
      RT,
      '--',
      'sh',
      '-c',
      `cat ${secret}; cat /etc/shadow; ls /root; ls ${t.root}; ls /; exit 0`,
    ]);
    expect(r.stdout).not.toContain('top secret');
    expect(r.stderr).toContain(`${secret}: No such file or directory`);
    expect(r.stderr).toContain('/etc/shadow: No such file or directory');
    expect(r.stderr).toMatch(/\/root.*No such file/);
    // /etc holds only what jrt writes for the job (hosts), the runtime mounting no /etc.
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      ['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'tmp', 'usr', 'work'].sort(),
    );
  });

  it('cannot push input into a terminal with TIOCSTI, even its own controlling one (seccomp)', async () => {
    // The job opens a pty, makes it its controlling terminal and pushes a character into it: the
    // kernel allows that (it is its own terminal), the seccomp filter does not.
    const script = `import fcntl, os, termios
m, s = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fd = os.open(os.ttyname(s), os.O_RDWR)
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b"x")
        print("TIOCSTI accepted", flush=True)
    except OSError as e:
        print("TIOCSTI refused:", e.strerror, flush=True)
    os._exit(0)
os.waitpid(pid, 0)`;
    const r = await jrtExec(t, [RT, '--', 'python3', '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('TIOCSTI refused: Operation not permitted\n');
    // Control: the same program in the same sandbox without the filter does push the character, so
    // this check can see the filter (a kernel with dev.tty.legacy_tiocsti=0 would refuse by itself).
    const control = withoutJrtHardening(['python3', '-c', script]);
    expect(control, 'the control run without the filter').toBe('TIOCSTI accepted\n');
  });

  it("does not hand the caller's other open files to the job", () => {
    // Whoever starts jrt may leave descriptors open (a shell's, a supervisor's log): fd 20 here.
    // (Node marks a few low ones close-on-exec by itself; 20 it passes on.)
    const leak = path.join(t.home, 'leak.txt');
    const fd = openSync(leak, 'w');
    const stdio: ('ignore' | 'pipe' | number)[] = Array(21).fill('ignore');
    stdio[1] = 'pipe';
    stdio[2] = 'pipe';
    stdio[20] = fd;
    const write20 = 'import os; os.write(20, b"pwned")';
    const r = spawnSync(
      process.execPath,
      [BUNDLE, 'exec', RT, '--', 'sh', '-c', `ls /proc/self/fd; python3 -c '${write20}'`],
      { env: t.env, cwd: t.work, encoding: 'utf8', stdio },
    );
    closeSync(fd);
    // 0-2 and the descriptor ls reads /proc/self/fd with.
    expect(r.stdout.trim().split('\n').sort()).toEqual(['0', '1', '2', '3']);
    expect(r.stderr).toContain('OSError: [Errno 9] Bad file descriptor');
    expect(readFileSync(leak, 'utf8')).toBe('');
  });

  it('cannot reach the kernel keyrings or make user namespaces', async () => {
    // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0): the session keyring is the caller's.
    const keyctl = `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(250, 0, -3, 0)
print("keyctl", "refused: " + os.strerror(ctypes.get_errno()) if r < 0 else "answered")`;
    const r = await jrtExec(t, [
      RT,
      '--',
      'sh',
      '-c',
      `python3 -c '${keyctl}'; unshare --user true && echo userns made`,
    ]);
    expect(r.stdout).toBe('keyctl refused: Operation not permitted\n');
    expect(r.stderr).toMatch(/unshare failed: No space left on device/);
    // Control: in the same sandbox without the filter and --disable-userns, both work.
    const control = withoutJrtHardening([
      'sh',
      '-c',
      `python3 -c '${keyctl}'; unshare --user true && echo userns made`,
    ]);
    expect(control, 'the control run').toBe('keyctl answered\nuserns made\n');
  });

  it('reads and writes /work, which is the caller directory', async () => {
    const r = await jrtExec(t, [RT, '--', 'sh', '-c', 'echo made-inside > /work/out.txt']);
    expect(r.exitCode).toBe(0);
    expect(await readFile(path.join(t.work, 'out.txt'), 'utf8')).toBe('made-inside\n');
  });

  it('passes stdin, stdout and the exit status through', async () => {
    const r = await jrtExec(t, [RT, '--', 'sh', '-c', 'tr a-z A-Z; exit 42'], { input: 'hello\n' });
    expect(r).toMatchObject({ exitCode: 42, stdout: 'HELLO\n' });
    expect((await jobRecords(t.log)).at(-1)).toMatchObject({
      exitStatus: 42,
      reason: 'exit',
      runtime: 'host-12',
    });
  });

  it('reports death by a signal as 128+N', async () => {
    const r = await jrtExec(t, [RT, '--', 'sh', '-c', 'kill -USR1 $$']);
    expect(r.exitCode).toBe(138);
    expect(r.stderr).toContain('jrt: job killed by SIGUSR1');
    expect((await jobRecords(t.log)).at(-1)).toMatchObject({
      reason: 'signal',
      signal: 'SIGUSR1',
      exitStatus: 138,
    });
  });

  it('127 for a missing command, 126 for a non-executable file', async () => {
    await writeFile(path.join(t.work, 'plain.sh'), 'echo hi\n', { mode: 0o644 });
    const missing = await jrtExec(t, [RT, '--', 'no-such-command']);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toContain('no-such-command: command not found');
    const noexec = await jrtExec(t, [RT, '--', './plain.sh']);
    expect(noexec.exitCode).toBe(126);
    expect(noexec.stderr).toContain('/work/plain.sh: not executable');
  });

  it('runs a job file through the runtime entrypoint, inside or outside the workdir', async () => {
    await writeFile(
      path.join(t.work, 'hello.py'),
      'import sys, os\nprint("py", sys.argv[1:], os.getcwd())\n',
    );
    const r = await jrtExec(t, [RT, 'hello.py', 'a', '--b']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("py ['a', '--b'] /work\n");
    const outside = path.join(t.home, 'outside.py');
    await writeFile(outside, 'print(__file__)\n', { mode: 0o644 });
    const o = await jrtExec(t, [RT, outside]);
    expect(o.stdout).toBe('/job/outside.py\n');
  });
});

describe('jrt exec networks', () => {
  let server: net.Server;
  let port: number;
  beforeAll(async () => {
    server = net.createServer((s) => s.end('pong\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const probe = () =>
    `import socket\ns=socket.create_connection(("127.0.0.1", PORT), timeout=3)\nprint(s.recv(10).decode().strip())`;

  it('--network=none (default) has loopback only: the host server is unreachable', async () => {
    const r = await jrtExec(t, [RT, '--', 'python3', '-c', probe().replace('PORT', String(port))]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/ConnectionRefusedError|Connection refused/);
    const lo = await jrtExec(t, [RT, '--', 'cat', '/proc/net/dev']);
    expect(
      lo.stdout
        .split('\n')
        .slice(2)
        .filter(Boolean)
        .map((l) => l.trim().split(':')[0]),
    ).toEqual(['lo']);
  });

  it('--network=host reaches it', async () => {
    const r = await jrtExec(t, [
      RT,
      '--network=host',
      '--',
      'python3',
      '-c',
      probe().replace('PORT', String(port)),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('pong\n');
  });
});

describe('jrt exec --network=web', () => {
  // "Outside" is a server on 198.18.0.1 in a network namespace next to the one jrt runs in, both
  // made by this test (test/helpers/outside-network.ts): slirp4netns connects out from jrt's. Its
  // loopback server stands for the host's loopback-only services. No traffic leaves this machine.
  const JOB = `import socket
def reach(addr):
    try:
        return socket.create_connection(addr, timeout=3).recv(64).decode().strip()
    except OSError as e:
        return type(e).__name__
print(reach(("${OUTSIDE.benchmark}", 8765)), reach(("10.0.2.2", ${HOST_PORT})), reach(("127.0.0.1", ${HOST_PORT})))
print(open("/etc/resolv.conf").read().strip().splitlines()[-1:])`;
  const inTestNetns = (args: string[]) =>
    runJrt(['exec', ...args], { env: n.env, cwd: n.work, wrapper: inOutsideWorld() });

  let n: JrtHome;
  beforeAll(async () => {
    n = await makeJrtHome({ prefix: 'jrt-web-test-' });
    await addNetRuntime(n);
  });
  afterAll(async () => {
    await n?.dispose();
  });

  it('reaches outside addresses, not the host loopback; DNS goes to slirp4netns; nothing is left', async () => {
    const web = await inTestNetns(['--runtime=net:1', '--network=web', '--', 'python3', '-c', JOB]);
    expect(web.stderr).toBe('');
    expect(web.exitCode).toBe(0);
    // Outside: yes. The host's loopback through slirp's gateway: refused. Its own loopback: empty.
    expect(web.stdout).toBe(
      `pong ${OUTSIDE.benchmark} ConnectionRefusedError ConnectionRefusedError\n['nameserver 10.0.2.3']\n`,
    );
    expect(execFileSync('sh', ['-c', 'pgrep -x slirp4netns || true'], { encoding: 'utf8' })).toBe('');
    // The same job with --network=none reaches nothing; with host, the host's resolv.conf.
    const none = await inTestNetns(['--runtime=net:1', '--', 'python3', '-c', JOB]);
    expect(none.stdout).toBe('OSError OSError ConnectionRefusedError\n[]\n');
    const host = await jrtExec(n, ['--runtime=net:1', '--network=host', '--', 'cat', '/etc/resolv.conf']);
    expect(host.stdout).toBe(readFileSync('/etc/resolv.conf', 'utf8'));
    expect((await jobRecords(n.log)).at(-3)).toMatchObject({ limits: { network: 'web' }, exitStatus: 0 });
  });

  it('keeps the network while the job shuts down after its --timeout SIGTERM', async () => {
    // jrt signals every process in the job's cgroups; slirp4netns is not among them.
    const job = `import signal, socket, sys, time
def on_term(*_):
    print(socket.create_connection(("${OUTSIDE.benchmark}", 8765), timeout=3).recv(64).decode().strip(), "after TERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
time.sleep(30)`;
    const r = await inTestNetns([
      '--runtime=net:1',
      '--network=web',
      '--timeout',
      '2s',
      '--',
      'python3',
      '-c',
      job,
    ]);
    expect(r.stdout).toBe(`pong ${OUTSIDE.benchmark} after TERM\n`);
    expect(r.exitCode).toBe(124);
  });
});

describe('jrt exec limits', () => {
  it('OOM-kills at --memory 64m and says so', async () => {
    const r = await jrtExec(t, [
      RT,
      '--memory',
      '64m',
      '--',
      'python3',
      '-c',
      'b = bytearray(200 * 1024 * 1024); print("survived")',
    ]);
    expect(r.exitCode).toBe(137);
    expect(r.stdout).not.toContain('survived');
    expect(r.stderr).toContain('jrt: job killed: out of memory (limit 64 MiB, /tmp and /dev/shm included)');
    const rec = (await jobRecords(t.log)).at(-1);
    expect(rec).toMatchObject({ reason: 'oom', exitStatus: 137, limits: { memoryBytes: 64 * 1024 ** 2 } });
    expect(rec?.peakMemoryBytes).toBeGreaterThan(32 * 1024 ** 2);
  });

  it('refuses --memory below the runtime min_memory before running anything', async () => {
    const before = (await jobRecords(t.log)).length;
    const r = await jrtExec(t, [RT, '--memory', '16m', '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("below host-12's min_memory 32m");
    expect((await jobRecords(t.log)).length).toBe(before);
  });

  it('hits --pids', async () => {
    const r = await jrtExec(t, [
      RT,
      '--pids',
      '8',
      '--',
      'sh',
      '-c',
      'i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done; echo started-all',
    ]);
    expect(r.stdout).not.toContain('started-all');
    expect(r.stderr).toContain('jrt: job hit its process limit (--pids 8)');
    expect((await jobRecords(t.log)).at(-1)).toMatchObject({ reason: 'pids', limits: { pids: 8 } });
  });

  it('kills at --timeout with 124', async () => {
    const r = await jrtExec(t, [RT, '--timeout', '1s', '--', 'sh', '-c', 'echo begun; sleep 60; echo never']);
    expect(r.exitCode).toBe(124);
    expect(r.stdout).toBe('begun\n');
    expect(r.stderr).toContain('jrt: job killed: timeout after 1000 ms');
    expect((await jobRecords(t.log)).at(-1)).toMatchObject({ reason: 'timeout', exitStatus: 124 });
  });

  it('at --timeout sends SIGTERM first, then SIGKILL to a job that ignores it', async () => {
    const polite = await jrtExec(t, [
      RT,
      '--timeout',
      '500ms',
      '--',
      'sh',
      '-c',
      'trap "echo flushed; exit 0" TERM; sleep 60 & wait',
    ]);
    expect(polite.exitCode).toBe(124);
    expect(polite.stdout).toBe('flushed\n');
    const stubborn = await jrtExec(t, [
      RT,
      '--timeout',
      '500ms',
      '--',
      'sh',
      '-c',
      'trap "" TERM; while :; do sleep 0.1; done',
    ]);
    expect(stubborn.exitCode).toBe(124);
    expect((await jobRecords(t.log)).at(-1)).toMatchObject({ reason: 'timeout', signal: 'SIGKILL' });
  });

  it('leaves no zombies: orphans are reaped by the sandbox init', async () => {
    const r = await jrtExec(t, [
      RT,
      '--',
      'sh',
      '-c',
      'sh -c "sleep 0.1 &"; sleep 0.5; cat /proc/[0-9]*/stat',
    ]);
    const states = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.slice(l.lastIndexOf(')') + 2).split(' ')[0]);
    expect(states.length).toBeGreaterThan(1);
    expect(states).not.toContain('Z');
  });

  it('applies --cpuset and --cpus', async () => {
    const r = await jrtExec(t, [
      RT,
      '--cpuset',
      '1',
      '--cpus',
      '0.5',
      '--',
      'grep',
      'Cpus_allowed_list',
      '/proc/self/status',
    ]);
    expect(r.stdout).toBe('Cpus_allowed_list:\t1\n');
  });
});

describe('jrt exec usage errors', () => {
  it('rejects a bad --runtime with exit 2 and runs nothing', async () => {
    const before = (await jobRecords(t.log)).length;
    const r = await jrtExec(t, ['--runtime=host:12;touch /tmp/x', '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('only letters, digits and . : + @ _ - are allowed');
    expect((await jobRecords(t.log)).length).toBe(before);
  });

  it('names what is installed and the closest for an unknown runtime', async () => {
    const r = await jrtExec(t, ['--runtime=host:13', '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("no installed runtime matches 'host:13'");
    expect(r.stderr).toContain('installed: host-12; closest: host-12');
  });

  it("works in a directory only root may enter: reads and writes it, and what it makes is root's", async () => {
    const closed = path.join(t.home, 'closed');
    const project = path.join(closed, 'project');
    await mkdir(project, { recursive: true, mode: 0o700 });
    await writeFile(path.join(project, 'in.txt'), 'secret-input\n', { mode: 0o600 });
    await writeFile(path.join(closed, 'job.py'), 'print(1)\n', { mode: 0o600 });
    const w = await jrtExec(t, [
      RT,
      '--workdir',
      project,
      '--',
      'sh',
      '-c',
      'cat in.txt; echo out > out.txt',
    ]);
    expect(w.stderr).toBe('');
    expect(w.stdout).toBe('secret-input\n');
    expect(statSync(path.join(project, 'out.txt'))).toMatchObject({ uid: 0, gid: 0 });
    // A job file outside the working directory is copied in, read-only.
    const f = await jrtExec(t, [RT, '--workdir', project, path.join(closed, 'job.py')]);
    expect(f.stderr).toBe('');
    expect(f.stdout).toBe('1\n');
  });

  it('exits 125 with the reason when the sandbox cannot be set up, and records it', async () => {
    // bwrap cannot make a mount point inside /proc: it fails after jrt's own checks passed.
    const r = await jrtExec(t, [RT, '--volume', 'v:/proc/sys/jrt', '--', 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain("bwrap: Can't mkdir /proc/sys/jrt");
    expect(r.stderr).toContain('jrt: the sandbox could not be set up');
    expect((await jobRecords(t.log)).at(-1)).toMatchObject({ reason: 'error', exitStatus: 125 });
  });

  it('prints help with examples', async () => {
    const r = await jrtExec(t, ['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Examples:');
  });
});

describe('legacy mode', () => {
  it('runs on the host system, read-only and isolated', async () => {
    const r = await jrtExec(t, [
      '--',
      'sh',
      '-c',
      'id -u; test -r /etc/shadow && echo readable; touch /etc/x 2>&1 || true; ls /root 2>&1',
    ]);
    expect(Number(r.stdout.split('\n')[0])).toBeGreaterThanOrEqual(JOB_UID_BASE);
    expect(r.stdout).not.toContain('readable');
    expect(r.stdout).toMatch(/Read-only file system|Permission denied/);
    expect(os.userInfo().uid).toBe(0);
  });
});
