/** Doctor checks driven by fake probes: each host condition maps to the right verdict and fix. */
import { describe, expect, it } from 'vitest';
import { cgroupPlan, parseCgroupMounts } from '../../../src/doctor/cgroups.js';
import {
  CHECK_IDS,
  type Check,
  type DoctorOptions,
  type DoctorProbes,
  doctorOk,
  type ProbeRun,
  runChecks,
} from '../../../src/doctor/checks.js';
import { renderChecks } from '../../../src/doctor/render.js';

const HYBRID_MOUNTS = [
  'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
  'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0',
  'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
  'cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0',
  'cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
  'cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0',
  'cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
].join('\n');
const V2_MOUNTS = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n';

interface FakeHost {
  uid: number;
  files: Record<string, string>;
  tools: Record<string, string>;
  /** `unshare` argv joined by spaces → result. */
  unshare: (args: string) => ProbeRun;
  free: Record<string, number>;
  reachable: Record<string, boolean>;
  /** `jrt-idmap --check DIR` → result. */
  idmap: (dir: string) => ProbeRun;
  /** `jrt-userns UID GID COUNT -- COMMAND...` argv joined by spaces → result. */
  userns: (args: string) => ProbeRun;
}

function healthyHost(): FakeHost {
  return {
    uid: 0,
    files: {
      '/proc/filesystems': 'nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n',
      '/proc/self/mounts': HYBRID_MOUNTS,
      '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n',
    },
    tools: {
      bwrap: 'bubblewrap 0.8.0',
      mmdebstrap: 'mmdebstrap 1.3.5',
      gpgv: 'gpgv (GnuPG) 2.2.40',
      xz: 'xz (XZ Utils) 5.4.1',
      slirp4netns: 'slirp4netns version 1.2.0',
      nft: 'nftables v1.0.6 (Lester Gooch #5)',
    },
    unshare: () => ({ exitCode: 0, stdout: '', stderr: '' }),
    free: { '/opt': 50 * 2 ** 30, '/var/cache/jrt': 50 * 2 ** 30 },
    reachable: { 'http://mirror.test/debian': true, 'https://npm.test': true },
    idmap: (dir) => ({ exitCode: 0, stdout: `idmapped mounts work on ${dir}\n`, stderr: '' }),
    userns: () => ({ exitCode: 0, stdout: '', stderr: '' }),
  };
}

function probesFor(h: FakeHost): DoctorProbes {
  return {
    uid: () => h.uid,
    async run(file, args) {
      if (file === 'unshare') return h.unshare(args.join(' '));
      if (file === '/pkg/dist/jrt-idmap' && args[0] === '--check') return h.idmap(args[1] as string);
      if (file === '/pkg/dist/jrt-userns') return h.userns(args.join(' '));
      const name = Object.keys(h.tools).find((t) => file === `/usr/bin/${t}`);
      if (name && args[0] === '--version') return { exitCode: 0, stdout: `${h.tools[name]}\n`, stderr: '' };
      return { error: `unexpected program ${file}` };
    },
    readText: async (f) => h.files[f],
    exists: async (f) => h.files[f] !== undefined,
    which: async (name) => (h.tools[name] !== undefined ? `/usr/bin/${name}` : undefined),
    async freeBytes(dir) {
      for (let at = dir; at !== ''; at = at.slice(0, at.lastIndexOf('/'))) {
        const bytes = h.free[at];
        if (bytes !== undefined) return { path: at, bytes };
      }
      return undefined;
    },
    debianMirror: async () => 'http://mirror.test/debian',
    npmRegistry: async () => 'https://npm.test',
    probe: async (url) =>
      h.reachable[url] ? { ok: true, status: 200 } : { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:9' },
  };
}

const OPTS = {
  root: '/opt/joblet/runtimes',
  cache: '/var/cache/jrt',
  state: '/var/lib/jrt',
  idmapHelper: '/pkg/dist/jrt-idmap',
  execConfig: { file: '/etc/jrt/exec.conf' },
  execCodeCache: { file: '/jrt/dist/jrt-exec.cjs', state: 'accepted' as const },
  usernsHelper: '/pkg/dist/jrt-userns',
  diskUsage: {
    threshold: 90,
    filesystems: [{ holds: ['root', 'cache', 'state', 'log'], path: '/var', usedPercent: 40 }],
  },
};

async function checksOf(h: FakeHost, opts: DoctorOptions = OPTS): Promise<Record<string, Check>> {
  const list = await runChecks(probesFor(h), opts);
  expect(list.map((c) => c.id)).toEqual([...CHECK_IDS]);
  return Object.fromEntries(list.map((c) => [c.id, c]));
}

describe('runChecks: idmapped mounts', () => {
  it('checks them on the nearest existing directory of the state, and names the fix when they fail', async () => {
    const h = healthyHost();
    h.files['/var/lib'] = 'dir';
    const good = await checksOf(h);
    expect(good.idmap?.message).toBe('idmapped mounts work on /var/lib');
    h.idmap = () => ({
      exitCode: 125,
      stdout: '',
      stderr:
        'jrt-idmap: cannot idmap the mount (does this filesystem support idmapped mounts?): Invalid argument\n',
    });
    const badFs = await checksOf(h);
    expect(badFs.idmap).toMatchObject({ ok: false, level: 'error' });
    expect(badFs.idmap?.message).toContain(
      'jobs cannot get their working directory: jrt-idmap: cannot idmap the mount',
    );
    expect(badFs.idmap?.fix).toContain('Linux >= 5.12');
  });
});

describe("runChecks: the exec bundle's code cache", () => {
  it('passes when this Node takes the cache, and warns (jobs start slower, nothing fails) when not', async () => {
    const taken = await checksOf(healthyHost());
    expect(taken['exec-code-cache']).toMatchObject({ ok: true, level: 'warn' });
    for (const [state, why] of [
      ['rejected', 'was made by another Node or with other V8 flags'],
      ['missing', 'jrt-exec.cjs.cache is missing'],
    ] as const) {
      const c = await checksOf(healthyHost(), {
        ...OPTS,
        execCodeCache: { file: '/jrt/dist/jrt-exec.cjs', state },
      });
      expect(c['exec-code-cache']).toMatchObject({ ok: false, level: 'warn' });
      expect(c['exec-code-cache']?.message).toContain(why);
      expect(c['exec-code-cache']?.fix).toContain('npm run build');
    }
    const rejected = await checksOf(healthyHost(), {
      ...OPTS,
      execCodeCache: { file: 'x', state: 'rejected' },
    });
    expect(doctorOk(Object.values(rejected))).toBe(true);
  });
});

describe("runChecks: the host's exec.conf", () => {
  it('says which defaults jobs get, and fails (every job would) with the reason when the file is refused', async () => {
    const none = await checksOf(healthyHost());
    expect(none['exec-config']).toMatchObject({ ok: true, level: 'error' });
    expect(none['exec-config']?.message).toContain('no /etc/jrt/exec.conf: built-in job defaults');
    const set = await checksOf(healthyHost(), {
      ...OPTS,
      execConfig: { file: '/etc/jrt/exec.conf', settings: 'memory 2g, pids 4096' },
    });
    expect(set['exec-config']?.message).toBe(
      "/etc/jrt/exec.conf: memory 2g, pids 4096 (every job's defaults; flags override)",
    );
    const refused = await checksOf(healthyHost(), {
      ...OPTS,
      execConfig: { file: '/etc/jrt/exec.conf', error: '/etc/jrt/exec.conf: mode 664 lets others change it' },
    });
    expect(refused['exec-config']).toMatchObject({ ok: false, level: 'error' });
    expect(refused['exec-config']?.message).toContain('mode 664 lets others change it: every job fails');
    expect(refused['exec-config']?.fix).toContain('fix /etc/jrt/exec.conf');
  });
});

describe("runChecks: the build's user namespace", () => {
  it('runs true as root of the build range, and names the fix when the helper fails', async () => {
    const h = healthyHost();
    const seen: string[] = [];
    h.userns = (args) => {
      seen.push(args);
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    const good = await checksOf(h);
    expect(seen).toEqual(['1879113728 1879113728 65536 -- true']);
    expect(good['build-userns']).toMatchObject({ ok: true, level: 'error' });
    expect(good['build-userns']?.message).toContain('host ids 1879113728..1879179263');
    h.userns = () => ({
      exitCode: 125,
      stdout: '',
      stderr: 'jrt-userns: cannot create a user namespace: No space left on device\n',
    });
    const badNs = await checksOf(h);
    expect(badNs['build-userns']).toMatchObject({ ok: false, level: 'error' });
    expect(badNs['build-userns']?.message).toBe(
      'builds cannot run their steps: jrt-userns: cannot create a user namespace: No space left on device',
    );
    expect(badNs['build-userns']?.fix).toContain('user.max_user_namespaces');
  });
});

describe('runChecks', () => {
  it('a healthy hybrid host passes every check, and says it will use cgroup v1', async () => {
    const c = await checksOf(healthyHost());
    for (const check of Object.values(c)) expect(check, check.id).toMatchObject({ ok: true, fix: '' });
    expect(c.cgroups?.message).toBe(
      'cgroup v2 at /sys/fs/cgroup/unified has none of memory, cpu, pids, cpuset; v1 cpu, cpuset, memory, pids: jrt will use v1',
    );
    expect(c.bwrap?.message).toBe('bubblewrap 0.8.0 (/usr/bin/bwrap)');
    expect(c['disk-root']?.message).toBe(
      '50.0 GiB free under the runtimes root /opt/joblet/runtimes (on /opt)',
    );
    expect(doctorOk(Object.values(c))).toBe(true);
  });

  it('a pure v2 host with the controllers uses v2', async () => {
    const h = healthyHost();
    h.files['/proc/self/mounts'] = V2_MOUNTS;
    h.files['/sys/fs/cgroup/cgroup.controllers'] = 'cpuset cpu io memory hugetlb pids rdma misc\n';
    const c = await checksOf(h);
    expect(c.cgroups).toMatchObject({ ok: true });
    expect(c.cgroups?.message).toMatch(/has cpuset, cpu, memory, pids; no v1 controllers: jrt will use v2$/);
    expect(c.cpuset?.message).toBe('cpuset (CPU affinity) from cgroup v2');
  });

  it('no usable controllers is an error; no cpuset only a warning', async () => {
    const h = healthyHost();
    h.files['/proc/self/mounts'] = V2_MOUNTS;
    h.files['/sys/fs/cgroup/cgroup.controllers'] = 'memory\n';
    const c = await checksOf(h);
    expect(c.cgroups).toMatchObject({ ok: false, level: 'error' });
    expect(c.cgroups?.message).toContain('job limits need the cpu, pids controllers');
    expect(c.cgroups?.fix).toContain('systemd.unified_cgroup_hierarchy=1');
    expect(c.cpuset).toMatchObject({ ok: false, level: 'warn' });
    expect(doctorOk(Object.values(c))).toBe(false);
  });

  it('not root is an error with the fix', async () => {
    const h = healthyHost();
    h.uid = 1000;
    const c = await checksOf(h);
    expect(c.root).toMatchObject({ ok: false, level: 'error', fix: 'run jrt as root (sudo jrt ...)' });
    expect(c.root?.message).toContain('running as uid 1000');
  });

  it('a namespace that cannot be created names the kernel message and the fix', async () => {
    const h = healthyHost();
    h.unshare = (args) =>
      args.startsWith('--user')
        ? { exitCode: 1, stdout: '', stderr: 'unshare: unshare failed: Operation not permitted\n' }
        : { exitCode: 0, stdout: '', stderr: '' };
    const c = await checksOf(h);
    expect(c['ns-user']).toMatchObject({
      ok: false,
      message: 'cannot create a user namespace: unshare: unshare failed: Operation not permitted',
    });
    expect(c['ns-user']?.fix).toContain('user.max_user_namespaces');
    expect(c['ns-mount']?.ok).toBe(true);
  });

  it('a missing unshare says to install util-linux', async () => {
    const h = healthyHost();
    h.unshare = () => ({ error: 'could not run unshare: ENOENT' });
    const c = await checksOf(h);
    for (const id of ['ns-user', 'ns-mount', 'ns-pid', 'ns-net'])
      expect(c[id]).toMatchObject({ ok: false, fix: 'apt-get install util-linux' });
  });

  it('missing overlayfs, bwrap and mmdebstrap are errors with apt-get fixes', async () => {
    const h = healthyHost();
    h.files['/proc/filesystems'] = 'nodev\tsysfs\n\text4\n';
    h.tools = {};
    const c = await checksOf(h);
    expect(c.overlayfs).toMatchObject({
      ok: false,
      level: 'error',
      fix: 'modprobe overlay (and add it to /etc/modules)',
    });
    expect(c.bwrap).toMatchObject({ ok: false, fix: 'apt-get install bubblewrap' });
    expect(c.mmdebstrap).toMatchObject({ ok: false, fix: 'apt-get install mmdebstrap' });
    expect(c.bwrap?.message).toBe('bwrap is not on PATH (it runs jobs in namespaces with read-only binds)');
    // Only --network=web needs it: a warning.
    expect(c.slirp4netns).toMatchObject({ ok: false, level: 'warn', fix: 'apt-get install slirp4netns' });
    expect(c.nft).toMatchObject({ ok: false, level: 'warn', fix: 'apt-get install nftables' });
  });

  it('little free disk is a warning, not an error', async () => {
    const h = healthyHost();
    h.free['/opt'] = 3 * 2 ** 30;
    const c = await checksOf(h);
    expect(c['disk-root']).toMatchObject({ ok: false, level: 'warn' });
    expect(c['disk-root']?.message).toContain('only 3.0 GiB free');
    expect(c['disk-root']?.fix).toContain('JRT_ROOT');
    expect(c['disk-cache']?.ok).toBe(true);
    expect(doctorOk(Object.values(c))).toBe(true);
  });

  it('unreachable sources are warnings naming the URL', async () => {
    const h = healthyHost();
    h.reachable = {};
    const c = await checksOf(h);
    expect(c['debian-mirror']).toMatchObject({ ok: false, level: 'warn' });
    expect(c['debian-mirror']?.message).toContain(
      'http://mirror.test/debian is unreachable: connect ECONNREFUSED',
    );
    expect(c['npm-registry']?.fix).toContain('JRT_NPM_REGISTRY');
    expect(doctorOk(Object.values(c))).toBe(true);
  });
});

describe('cgroup parsing', () => {
  it('reads v1 controllers and the v2 mount from /proc/self/mounts', () => {
    expect(parseCgroupMounts(HYBRID_MOUNTS)).toEqual({
      v2Mount: '/sys/fs/cgroup/unified',
      v1: {
        cpu: '/sys/fs/cgroup/cpu',
        cpuacct: '/sys/fs/cgroup/cpuacct',
        cpuset: '/sys/fs/cgroup/cpuset',
        memory: '/sys/fs/cgroup/memory',
        pids: '/sys/fs/cgroup/pids',
      },
    });
    expect(parseCgroupMounts('cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0')).toEqual({
      v1: { cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' },
    });
  });
  it('prefers v2 per controller and reports mixed layouts', () => {
    expect(cgroupPlan({ v2Controllers: ['memory'], v1: { cpu: '/c', pids: '/p' } })).toEqual({
      mode: 'mixed',
      missing: [],
      from: { memory: 'v2', cpu: 'v1', pids: 'v1' },
    });
    expect(cgroupPlan({ v2Controllers: [], v1: {} }).mode).toBe('none');
  });
});

describe('render', () => {
  it('lists checks, fixes under failures, and a summary', () => {
    const text = renderChecks([
      { id: 'root', ok: true, level: 'error', message: 'running as root', fix: '' },
      {
        id: 'bwrap',
        ok: false,
        level: 'error',
        message: 'bwrap is not on PATH',
        fix: 'apt-get install bubblewrap',
      },
      { id: 'disk-root', ok: false, level: 'warn', message: 'only 1 GiB', fix: 'free space' },
    ]);
    expect(text.split('\n')).toEqual([
      'ok    root       running as root',
      'FAIL  bwrap      bwrap is not on PATH',
      '                 fix: apt-get install bubblewrap',
      'warn  disk-root  only 1 GiB',
      '                 fix: free space',
      'jrt doctor: 1 problem to fix, 1 warning',
    ]);
  });
});

describe('cgroup-delegation', () => {
  /** A systemd host on cgroup v2, jrt running in `own`; `delegating` lists the units with Delegate=yes. */
  async function delegationOn(own: string, delegating: string[], controllers = 'cpuset cpu io memory pids') {
    const h = healthyHost();
    h.files['/proc/self/mounts'] = V2_MOUNTS;
    h.files['/sys/fs/cgroup/cgroup.controllers'] = 'cpuset cpu io memory hugetlb pids rdma misc\n';
    h.files['/proc/self/cgroup'] = `0::${own}\n`;
    h.files['/run/systemd/system'] = '';
    h.files['/sys/fs/cgroup/system.slice/joblet.service/cgroup.controllers'] = `${controllers}\n`;
    h.tools.busctl = 'systemd 252';
    const probes = probesFor(h);
    const run = probes.run;
    probes.run = async (file, args) =>
      file === 'systemctl'
        ? {
            exitCode: 0,
            stdout: `${delegating.includes(args.at(-1) as string) ? 'yes' : 'no'}\n`,
            stderr: '',
          }
        : run(file, args);
    const list = await runChecks(probes, OPTS);
    return list.find((c) => c.id === 'cgroup-delegation') as Check;
  }

  it('on the hybrid host: cgroup v1, nothing to delegate', async () => {
    const c = await checksOf(healthyHost());
    expect(c['cgroup-delegation']).toMatchObject({ ok: true, message: expect.stringContaining('cgroup v1') });
  });

  it('a login session is not delegated: each job gets a scope of its own, and it says how to keep jobs in a service', async () => {
    const c = await delegationOn('/user.slice/user-0.slice/session-3.scope', []);
    expect(c).toMatchObject({ ok: true, level: 'warn' });
    expect(c.message).toContain(
      '(session-3.scope) is not delegated; each job gets a delegated scope of its own',
    );
    expect(c.message).toContain('jrt-<id>.scope in user-0.slice');
    expect(c.message).toContain('Delegate=yes');
  });

  it('inside a delegated service it says where job cgroups go', async () => {
    const c = await delegationOn('/system.slice/joblet.service', ['joblet.service']);
    expect(c).toMatchObject({ ok: true });
    expect(c.message).toContain('inside joblet.service (Delegate=yes)');
  });

  it('a delegated service without cpuset is a warning with the fix', async () => {
    const c = await delegationOn(
      '/system.slice/joblet.service/joblet-main',
      ['joblet.service'],
      'cpu io memory pids',
    );
    expect(c).toMatchObject({ ok: false, level: 'warn' });
    expect(c.message).toContain('joblet.service is not given cpuset');
    expect(c.fix).toContain('Delegate=yes');
  });
});

describe("runChecks: how full jrt's filesystems are", () => {
  it('passes under usage_warn, and above it warns naming the filesystem and what jrt gc would free', async () => {
    const calm = await checksOf(healthyHost());
    expect(calm['disk-usage']).toMatchObject({ ok: true, level: 'warn' });
    expect(calm['disk-usage']?.message).toBe(
      "jrt's filesystems are at most 90% full: /var (root, cache, state, log) 40%",
    );
    const full = await checksOf(healthyHost(), {
      ...OPTS,
      diskUsage: {
        threshold: 90,
        filesystems: [
          { holds: ['root'], path: '/opt', usedPercent: 95 },
          { holds: ['cache', 'state', 'log'], path: '/var', usedPercent: 40 },
        ],
        gc: { bytes: 3 * 2 ** 30, items: 12, byKind: { blob: 2 * 2 ** 30, artifact: 2 ** 30, log: 0 } },
      },
    });
    expect(full['disk-usage']).toMatchObject({ ok: false, level: 'warn' });
    expect(full['disk-usage']?.message).toBe(
      'above usage_warn 90%: /opt (root) 95%; jrt gc would free 3.0 GiB (12 item(s): blob 2.0 GiB, artifact 1.0 GiB)',
    );
    expect(full['disk-usage']?.fix).toContain("run 'jrt gc'");
    const broken = await checksOf(healthyHost(), {
      ...OPTS,
      diskUsage: { error: '/etc/jrt/gc.conf:1: unknown key' },
    });
    expect(broken['disk-usage']?.message).toContain('/etc/jrt/gc.conf:1: unknown key');
  });
});
