import { describe, expect, it } from 'vitest';
import type { RuntimeMount } from '../../../src/core/runtime-format.js';
import { jobEnvironment, planMounts, planSandbox, type SandboxJob } from '../../../src/runner/plan.js';

const job = (over: Partial<SandboxJob> = {}): SandboxJob => ({
  workdir: '/home/u/proj',
  volumes: [],
  files: [],
  network: 'none',
  uid: 65534,
  gid: 65534,
  env: {},
  argv: ['java', 'Main.java'],
  ...over,
});

const JAVA_MOUNTS: RuntimeMount[] = [
  { source: 'rootfs/usr/bin', target: '/bin', readonly: true },
  { source: 'rootfs/usr', target: '/usr', readonly: true },
  { source: 'rootfs/etc/java-17-openjdk', target: '/etc/java-17-openjdk', readonly: true },
  { source: 'rootfs/usr/lib', target: '/usr/lib', readonly: false },
];
const java = {
  mounts: JAVA_MOUNTS,
  environment: { JAVA_HOME: '/usr/lib/jvm/java-17', PATH_PREPEND: '/usr/lib/jvm/java-17/bin' },
};
const DIR = '/opt/joblet/runtimes/java/java-17';

/** The argv as [flag, ...operands] groups, to compare readable slices. */
function pairs(args: string[], flag: string): string[][] {
  const out: string[][] = [];
  const arity: Record<string, number> = { '--ro-bind': 2, '--bind': 2, '--ro-bind-try': 2, '--setenv': 2 };
  args.forEach((a, i) => {
    if (a === flag) out.push(args.slice(i + 1, i + 1 + (arity[flag] ?? 1)));
  });
  return out;
}

describe('planSandbox', () => {
  it('isolates by default: all namespaces, no caps, new session, dies with parent, uid 65534', () => {
    const args = planSandbox(java, DIR, job());
    expect(args.slice(0, 2)).toEqual(['--unshare-all', '--unshare-user']);
    expect(args).not.toContain('--share-net');
    for (const f of ['--new-session', '--die-with-parent', '--clearenv']) expect(args).toContain(f);
    expect(pairs(args, '--cap-drop')).toEqual([['ALL']]);
    expect(pairs(args, '--uid')).toEqual([['65534']]);
    expect(pairs(args, '--gid')).toEqual([['65534']]);
    expect(args.slice(args.indexOf('--'))).toEqual(['--', 'java', 'Main.java']);
  });

  it('binds runtime mounts read-only, parents first, even when readonly is false', () => {
    const args = planSandbox(java, DIR, job());
    expect(pairs(args, '--ro-bind')).toEqual([
      [`${DIR}/rootfs/usr/bin`, '/bin'],
      [`${DIR}/rootfs/usr`, '/usr'],
      [`${DIR}/rootfs/etc/java-17-openjdk`, '/etc/java-17-openjdk'],
      [`${DIR}/rootfs/usr/lib`, '/usr/lib'],
    ]);
    expect(pairs(args, '--bind')).toEqual([['/home/u/proj', '/work']]);
  });

  it('fresh /proc, minimal /dev, private world-writable /tmp and /dev/shm, chdir /work', () => {
    const args = planSandbox(java, DIR, job());
    expect(pairs(args, '--proc')).toEqual([['/proc']]);
    expect(pairs(args, '--dev')).toEqual([['/dev']]);
    expect(pairs(args, '--tmpfs')).toEqual([['/dev/shm'], ['/tmp']]);
    const tmp = args.lastIndexOf('--tmpfs');
    expect(args.slice(tmp - 2, tmp + 2)).toEqual(['--perms', '1777', '--tmpfs', '/tmp']);
    expect(args.indexOf('--tmpfs')).toBeGreaterThan(args.indexOf('--dev'));
    expect(pairs(args, '--chdir')).toEqual([['/work']]);
  });

  it('sizes /tmp and /dev/shm to the memory limit (their pages count against it)', () => {
    const args = planSandbox(java, DIR, { ...job(), tmpfsBytes: 64 * 1024 * 1024 });
    for (const target of ['/dev/shm', '/tmp']) {
      const at = args.indexOf(target);
      expect(args.slice(at - 5, at + 1)).toEqual([
        '--size',
        '67108864',
        '--perms',
        '1777',
        '--tmpfs',
        target,
      ]);
    }
  });

  it.each([
    ['none', false],
    ['host', true],
    ['web', true],
  ] as const)(
    'network %s keeps the namespace bwrap starts in (host: the host one; web: its launcher one): %s',
    (network, shared) => {
      expect(planSandbox(java, DIR, job({ network })).includes('--share-net')).toBe(shared);
    },
  );

  it('puts the resolv.conf read from fd 5 over /etc/resolv.conf, after the runtime /etc', () => {
    const withEtc = {
      ...java,
      mounts: [...JAVA_MOUNTS, { source: 'rootfs/etc', target: '/etc', readonly: true }],
    };
    const args = planSandbox(withEtc, DIR, job({ network: 'web', resolvConf: 'nameserver 10.0.2.3\n' }));
    const data = args.indexOf('--ro-bind-data');
    expect(args.slice(data - 2, data + 3)).toEqual([
      '--perms',
      '0644',
      '--ro-bind-data',
      '5',
      '/etc/resolv.conf',
    ]);
    expect(args.indexOf('/etc')).toBeLessThan(data);
    expect(planSandbox(withEtc, DIR, job()).includes('--ro-bind-data')).toBe(false);
  });

  it('--user, volumes and job files', () => {
    const args = planSandbox(
      java,
      DIR,
      job({
        uid: 1000,
        gid: 100,
        volumes: [{ hostPath: '/var/lib/jrt/volumes/data', target: '/data' }],
        files: [{ hostPath: '/elsewhere/Main.java', target: '/job/Main.java' }],
      }),
    );
    expect(pairs(args, '--uid')).toEqual([['1000']]);
    expect(pairs(args, '--gid')).toEqual([['100']]);
    expect(pairs(args, '--bind')).toEqual([
      ['/home/u/proj', '/work'],
      ['/var/lib/jrt/volumes/data', '/data'],
    ]);
    expect(pairs(args, '--ro-bind').at(-1)).toEqual(['/elsewhere/Main.java', '/job/Main.java']);
  });

  it('selective mounts bind only the listed entries', () => {
    const rt = {
      mounts: [
        { source: 'rootfs/etc', target: '/etc', readonly: true, selective: ['ssl', 'java-17-openjdk'] },
      ],
      environment: {},
    };
    expect(pairs(planSandbox(rt, DIR, job()), '--ro-bind')).toEqual([
      [`${DIR}/rootfs/etc/ssl`, '/etc/ssl'],
      [`${DIR}/rootfs/etc/java-17-openjdk`, '/etc/java-17-openjdk'],
    ]);
  });

  it.each([
    [{ source: '../python/python-3.11/rootfs', target: '/usr', readonly: true }, 'ERR_JRT_MOUNT_ESCAPE'],
    [{ source: '/etc', target: '/etc', readonly: true }, 'ERR_JRT_MOUNT_ESCAPE'],
    [{ source: 'rootfs/../../..', target: '/x', readonly: true }, 'ERR_JRT_MOUNT_ESCAPE'],
    [
      { source: 'rootfs/etc', target: '/etc', readonly: true, selective: ['../../../../etc/shadow'] },
      'ERR_JRT_MOUNT_ESCAPE',
    ],
    [{ source: 'rootfs/usr', target: 'usr', readonly: true }, 'ERR_JRT_BAD_MOUNT'],
    [{ source: 'rootfs/usr', target: '/usr/../etc', readonly: true }, 'ERR_JRT_BAD_MOUNT'],
  ])('refuses %j', (mount, code) => {
    expect(() => planSandbox({ mounts: [mount], environment: {} }, DIR, job())).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it('legacy mode binds the host system read-only, same isolation', () => {
    const args = planSandbox(undefined, undefined, job({ argv: ['true'] }));
    expect(pairs(args, '--ro-bind-try')).toEqual(
      ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/etc'].map((d) => [d, d]),
    );
    expect(pairs(args, '--ro-bind')).toEqual([]);
    expect(args).toContain('--unshare-all');
    expect(pairs(args, '--cap-drop')).toEqual([['ALL']]);
  });

  it('sets the whole environment and nothing else', () => {
    const args = planSandbox(java, DIR, job({ env: { FOO: 'bar', JAVA_HOME: '/mine' } }));
    expect(pairs(args, '--setenv')).toEqual([
      ['PATH', '/usr/lib/jvm/java-17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ['HOME', '/work'],
      ['JAVA_HOME', '/mine'],
      ['FOO', 'bar'],
    ]);
  });
});

describe('jobEnvironment', () => {
  it.each([
    [{}, {}, { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/work' }],
    [{ LANG: 'C.UTF-8' }, { HOME: '/tmp' }, { LANG: 'C.UTF-8', HOME: '/tmp' }],
    [{}, { PATH: '/x' }, { PATH: '/x' }],
  ])('%j + %j', (runtimeEnv, userEnv, expected) => {
    expect(jobEnvironment(runtimeEnv, userEnv)).toMatchObject(expected);
  });
});

describe('planMounts', () => {
  it('puts /work after the runtime and system mounts', () => {
    expect(planMounts(java, DIR, job()).map((m) => `${m.kind}:${m.target}`)).toEqual([
      'ro-bind:/bin',
      'ro-bind:/usr',
      'ro-bind:/etc/java-17-openjdk',
      'ro-bind:/usr/lib',
      'proc:/proc',
      'dev:/dev',
      'tmpfs:/dev/shm',
      'tmpfs:/tmp',
      'bind:/work',
    ]);
  });
});
