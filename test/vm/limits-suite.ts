/**
 * jrt exec's limits on a real systemd + cgroup v2 host, each run three ways: from root's login
 * session (sshd's session scope, not delegated), from a systemd service with Delegate=yes (how Joblet
 * runs jrt), and from a plain `systemd-run --scope` (not delegated). Jobs run in legacy mode (the
 * guest's own /usr), from the checkout's bundle shared read-only at /jrt. Defined once, run per suite
 * by bookworm.test.ts and trixie.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, requireBundle, requireRoot } from '../helpers/jrt.js';
import { ensureImage, type Suite } from './image.js';
import { bootVm, type RunResult, type Vm } from './machine.js';

/** How many jobs the leftover check runs per way (JRT_VM_JOBS lowers it under software emulation). */
const JOBS = Number(process.env.JRT_VM_JOBS || 200);
/** The checkout whose dist/ runs in the VM: this one, or JRT_VM_CHECKOUT (e.g. a deliberately broken build). */
const CHECKOUT = process.env.JRT_VM_CHECKOUT || REPO;

export const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** A jrt command line in the guest, from a directory the job user may enter, tracing its decisions. */
export const jrt = (args: string) => `cd /srv/w && JRT_TRACE=1 node /jrt/dist/jrt.cjs ${args}`;

export const WAYS = {
  'a root login shell (session scope, not delegated)': (cmd: string) => cmd,
  'a systemd service with Delegate=yes': (cmd: string) =>
    `systemd-run --quiet --wait --pipe --collect -p Delegate=yes -- /bin/sh -c ${q(cmd)}`,
  'a plain systemd-run --scope': (cmd: string) =>
    `systemd-run --quiet --scope --collect -- /bin/sh -c ${q(cmd)}`,
} as const;

export type Way = keyof typeof WAYS;

/** The job record `--json` printed last on stdout. */
export function record(r: RunResult): Record<string, unknown> {
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`no job record on stdout (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`);
  }
}

export async function bootForJrt(suite: Suite): Promise<Vm> {
  requireRoot('qemu, mmdebstrap');
  if (CHECKOUT === REPO) requireBundle();
  const image = await ensureImage(suite, 'ready', (l) => process.stderr.write(`${l}\n`));
  const vm = await bootVm(image, [{ host: CHECKOUT, guest: '/jrt', readonly: true }]);
  process.stderr.write(`test/vm: ${suite} booted in ${vm.bootMs} ms\n`);
  const r = await vm.run('mkdir -p -m 1777 /srv/w && node --version');
  if (r.exitCode !== 0) throw new Error(`the ${suite} VM cannot run node: ${r.stderr}`);
  return vm;
}

export function defineLimitsSuite(suite: Suite): void {
  // Generous: under software emulation (JRT_VM_ACCEL=tcg) everything is 10-30 times slower.
  describe(`${suite} VM: systemd + cgroup v2`, { timeout: 30 * 60_000 }, () => {
    let vm: Vm;
    beforeAll(async () => {
      vm = await bootForJrt(suite);
    }, 40 * 60_000);
    afterAll(async () => {
      await vm?.stop();
    });

    it('is a systemd host on the unified hierarchy whose login sessions are not delegated', async () => {
      const r = await vm.run(
        'stat -fc %T /sys/fs/cgroup; cat /proc/1/comm; systemctl show -p Delegate --value "$(basename "$(cut -d: -f3 /proc/self/cgroup)")"',
      );
      expect(r.stdout.split('\n')).toEqual(['cgroup2fs', 'systemd', 'no', '']);
    });

    it('the shipped drop-in (systemd/50-jrt.conf) delegates joblet.service, and a job started by it is limited', async () => {
      // A stand-in for Joblet: its main process stays in the service's cgroup and starts jrt.
      const unit = `[Service]
Type=exec
Environment=JRT_TRACE=1
ExecStart=/bin/sh -c 'cd /srv/w && node /jrt/dist/jrt.cjs exec --memory 64m -- sh -c "head -c 200m /dev/zero | tail" > /run/joblet.out 2>&1; echo "status $?" >> /run/joblet.out; exec sleep infinity'
`;
      const r = await vm.run(
        [
          `printf %s ${q(unit)} > /etc/systemd/system/joblet.service`,
          'install -D -m 644 /jrt/systemd/50-jrt.conf /etc/systemd/system/joblet.service.d/50-jrt.conf',
          'systemctl daemon-reload && systemctl start joblet',
          'for i in $(seq 600); do grep -q "^status" /run/joblet.out 2>/dev/null && break; sleep 0.1; done',
          'systemctl show -p Delegate -p Environment joblet; cat /run/joblet.out; systemctl stop joblet',
        ].join(' && '),
      );
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('Delegate=yes');
      expect(r.stdout).toContain('JRT_ROOT=/opt/joblet/runtimes');
      expect(r.stdout).toContain('is inside joblet.service, which delegates /system.slice/joblet.service');
      expect(r.stdout).toContain(
        'moved 2 process(es) of /system.slice/joblet.service into its leaf supervisor',
      );
      expect(r.stdout).toContain('jrt: job killed: out of memory (limit 64 MiB, /tmp and /dev/shm included)');
      expect(r.stdout).toContain('status 137');
    });

    describe.each(Object.keys(WAYS) as Way[])('from %s', (way) => {
      const inWay = (args: string) => vm.run(WAYS[way](jrt(args)));

      it('jrt doctor says whether its cgroup is delegated and where job cgroups go', async () => {
        const r = await inWay('doctor --json');
        const check = (JSON.parse(r.stdout) as { checks: { id: string; message: string }[] }).checks.find(
          (c) => c.id === 'cgroup-delegation',
        );
        expect(check?.message).toMatch(
          way === 'a systemd service with Delegate=yes'
            ? /is inside run-\S+\.service \(Delegate=yes\); job cgroups go in its subtree/
            : /is not delegated; each job gets a delegated scope of its own from systemd/,
        );
      });

      it('--memory 64m: a 200 MB job is OOM-killed, exit 137, the limit named, recorded with its peak', async () => {
        const r = await inWay(`exec --json --memory 64m -- sh -c 'head -c 200m /dev/zero | tail'`);
        expect(r.exitCode, r.stderr).toBe(137);
        expect(r.stderr).toContain(
          'jrt: job killed: out of memory (limit 64 MiB, /tmp and /dev/shm included)',
        );
        const rec = record(r);
        expect(rec).toMatchObject({ reason: 'oom', exitStatus: 137 });
        expect(rec.peakMemoryBytes).toBeGreaterThan(32 * 2 ** 20);
        expect(rec.peakMemoryBytes).toBeLessThanOrEqual(64 * 2 ** 20);
        if (way === 'a systemd service with Delegate=yes') {
          expect(r.stderr).toMatch(/cgroup: \S+ is inside run-\S+\.service, which delegates/);
          expect(r.stderr).toContain('into its leaf supervisor (no internal processes)');
        } else {
          expect(r.stderr).toMatch(
            /is not delegated to jrt; moved into a delegated scope of its own: \S+\/jrt-\S+\.scope/,
          );
        }
      });

      it('records the peak memory of a job that stays under its limit', async () => {
        const r = await inWay(`exec --json --memory 256m -- sh -c 'head -c 40m /dev/zero | tail >/dev/null'`);
        expect(r.exitCode, r.stderr).toBe(0);
        expect(record(r).peakMemoryBytes).toBeGreaterThan(40 * 2 ** 20);
      });

      it('--pids 20: forks fail at the limit and jrt says so', async () => {
        const r = await inWay(
          `exec --json --pids 20 --timeout 60s -- sh -c 'for i in $(seq 40); do sleep 2 & done; wait'`,
        );
        expect(r.stderr).toContain('jrt: job hit its process limit (--pids 20)');
        expect(record(r)).toMatchObject({ reason: 'pids' });
      });

      it('--cpus 0.5: a busy loop gets about half a CPU, never more', async () => {
        // dash's `times` prints the CPU time of its children: the busy loop's, over 4 s of wall time.
        const busy = `sh -c 'timeout 4 sh -c "while :; do :; done"; times'`;
        const cpuOf = (r: RunResult) => {
          const m = /^(\d+)m([\d.]+)s/.exec(r.stdout.trim().split('\n')[1] ?? '');
          if (!m) throw new Error(`no times output: ${r.stdout} ${r.stderr}`);
          return Number(m[1]) * 60 + Number(m[2]);
        };
        const limited = await inWay(`exec --cpus 0.5 -- ${busy}`);
        expect(limited.exitCode, limited.stderr).toBe(0);
        const free = await inWay(`exec -- ${busy}`);
        const used = cpuOf(limited);
        expect(used).toBeLessThanOrEqual(4 * 0.5 * 1.15);
        // At least most of its quota, unless even the unlimited loop got less (a busy host).
        expect(used).toBeGreaterThanOrEqual(0.7 * Math.min(2, cpuOf(free)));
      });

      it('--cpuset 1: the job runs on CPU 1 only', async () => {
        const r = await inWay(`exec --cpuset 1 -- grep Cpus_allowed_list /proc/self/status`);
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/Cpus_allowed_list:\s+1\n/);
      });

      it('--timeout 2s: SIGTERM, exit 124, the timeout named', async () => {
        const r = await inWay(`exec --json --timeout 2s -- sleep 60`);
        expect(r.exitCode, r.stderr).toBe(124);
        expect(r.stderr).toContain('jrt: job killed: timeout after 2000 ms');
        expect(record(r)).toMatchObject({ reason: 'timeout' });
      });

      it(`${JOBS} jobs in a row leave no cgroup, mount or process behind`, async () => {
        const before = await vm.run('wc -l < /proc/self/mountinfo');
        const jobs = `for i in $(seq ${JOBS}); do node /jrt/dist/jrt.cjs exec --memory 32m --pids 16 -- true || exit 1; done`;
        const r = await vm.run(WAYS[way](`cd /srv/w && ${jobs}`), { timeoutMs: 60 * 60_000 });
        expect(r.exitCode, r.stderr).toBe(0);
        // systemd removes a finished service's or scope's cgroup shortly after its last process.
        const left = await vm.run(
          `for i in $(seq 100); do l=$(find /sys/fs/cgroup -name 'jrt-*' -o -name supervisor); [ -z "$l" ] && break; sleep 0.1; done; echo "$l"; pgrep -c -x bwrap; wc -l < /proc/self/mountinfo`,
        );
        expect(left.stdout.split('\n')).toEqual(['', '0', before.stdout.trim(), '']);
      });
    });
  });
}
