/**
 * `jrt doctor`: what jrt needs from this host, as a list of checks. Every effect goes through the
 * DoctorProbes passed in, so the checks are plain logic that tests drive with fakes; host.ts has
 * the real probes.
 */

import { BUILD_ID_BASE, BUILD_ID_COUNT, inBuildUserns } from '../builder/userns.js';
import type { CodeCacheState } from '../core/code-cache.js';
import { formatBytes } from '../core/disk.js';
import { type CgroupLayout, cgroupPlan, parseCgroupMounts, REQUIRED_CONTROLLERS } from './cgroups.js';
import { checkDelegation } from './delegation.js';

export interface Check {
  id: string;
  ok: boolean;
  /** Whether a failure stops jrt from working (error) or only degrades it (warn). */
  level: 'error' | 'warn';
  message: string;
  /** How to fix a failing check; empty when it passes. */
  fix: string;
}

export type ProbeRun = { exitCode: number; stdout: string; stderr: string } | { error: string };

export interface DoctorProbes {
  uid(): number;
  /** Run a program briefly; `{error}` when it cannot be started. */
  run(file: string, args: string[]): Promise<ProbeRun>;
  readText(file: string): Promise<string | undefined>;
  exists(file: string): Promise<boolean>;
  which(name: string): Promise<string | undefined>;
  /** Free bytes for unprivileged use on the filesystem of `dir`'s nearest existing ancestor. */
  freeBytes(dir: string): Promise<{ path: string; bytes: number } | undefined>;
  debianMirror(): Promise<string>;
  npmRegistry(): Promise<string>;
  probe(url: string): Promise<{ ok: boolean; status?: number; error?: string }>;
}

export interface DoctorOptions {
  /** Runtimes root (JRT_ROOT) and cache (JRT_CACHE): where installs and builds write. */
  root: string;
  cache: string;
  /** JRT_STATE: the idmap check runs on its filesystem (the nearest existing ancestor). */
  state: string;
  /** dist/jrt-idmap, which gives jobs their directories through idmapped mounts. */
  idmapHelper: string;
  /** dist/jrt-userns, which runs build code as root of a user namespace only. */
  usernsHelper: string;
  /** JRT_CGROUP_PARENT, when set. */
  cgroupParent?: string | undefined;
  /** The host's exec.conf as read (src/runner/host-defaults.ts): its settings, or why it is refused. */
  execConfig: { file: string; settings?: string; error?: string };
  /** dist/jrt-exec.cjs compiled as the launcher compiles it: is its code cache one this Node takes? */
  execCodeCache: { file: string; state?: CodeCacheState; error?: string };
  /** How full jrt's filesystems are (disk/doctor-usage.ts), or why that could not be told. */
  diskUsage: DiskUsageState;
}

export interface DiskUsageState {
  /** usage_warn of gc.conf (percent). */
  threshold?: number;
  filesystems?: { holds: string[]; path: string; usedPercent: number }[];
  /** What `jrt gc` would free now, by kind; only measured when a filesystem is above the threshold. */
  gc?: { bytes: number; items: number; byKind: Record<string, number> };
  error?: string;
}

export const MIN_FREE_BYTES = 5 * 2 ** 30;

/** Every check id, in the order they are reported. */
export const CHECK_IDS = [
  'root',
  'ns-user',
  'ns-mount',
  'ns-pid',
  'ns-net',
  'overlayfs',
  'cgroups',
  'cpuset',
  'cgroup-delegation',
  'bwrap',
  'idmap',
  'exec-config',
  'exec-code-cache',
  'build-userns',
  'mmdebstrap',
  'gpgv',
  'xz',
  'slirp4netns',
  'nft',
  'disk-root',
  'disk-cache',
  'disk-usage',
  'debian-mirror',
  'npm-registry',
] as const;

export async function runChecks(probes: DoctorProbes, opts: DoctorOptions): Promise<Check[]> {
  const checks = await Promise.all([
    checkRoot(probes),
    ...NAMESPACES.map((ns) => checkNamespace(probes, ns)),
    checkOverlay(probes),
    ...(await checkCgroups(probes, opts.cgroupParent)),
    checkTool(probes, 'bwrap', 'bubblewrap', 'runs jobs in namespaces with read-only binds'),
    checkIdmap(probes, opts.idmapHelper, opts.state),
    checkExecConfig(opts.execConfig),
    checkExecCodeCache(opts.execCodeCache),
    checkBuildUserns(probes, opts.usernsHelper),
    checkTool(probes, 'mmdebstrap', 'mmdebstrap', 'creates the Debian build roots'),
    checkTool(probes, 'gpgv', 'gpgv', "verifies the suite's signed index a lock's packages must be in"),
    checkTool(probes, 'xz', 'xz-utils', "unpacks the suite's Packages index"),
    checkTool(probes, 'slirp4netns', 'slirp4netns', 'gives --network=web jobs outbound access', 'warn'),
    checkTool(
      probes,
      'nft',
      'nftables',
      "keeps --network=web jobs off the host's own addresses, private networks and cloud metadata",
      'warn',
    ),
    checkDisk(probes, 'disk-root', 'runtimes root', opts.root),
    checkDisk(probes, 'disk-cache', 'cache (downloads, build roots)', opts.cache),
    checkDiskUsage(opts.diskUsage),
    checkReachable(probes, 'debian-mirror', 'Debian mirror', await probes.debianMirror(), DEBIAN_FIX),
    checkReachable(probes, 'npm-registry', 'npm registry', await probes.npmRegistry(), NPM_FIX),
  ]);
  return checks;
}

const ok = (id: string, level: Check['level'], message: string): Check => ({
  id,
  ok: true,
  level,
  message,
  fix: '',
});
const bad = (id: string, level: Check['level'], message: string, fix: string): Check => ({
  id,
  ok: false,
  level,
  message,
  fix,
});

async function checkRoot(p: DoctorProbes): Promise<Check> {
  const uid = p.uid();
  return uid === 0
    ? ok('root', 'error', 'running as root')
    : bad(
        'root',
        'error',
        `running as uid ${uid}: builds, installs into /opt and job sandboxes (mounts, cgroups) need root`,
        'run jrt as root (sudo jrt ...)',
      );
}

const NAMESPACES = [
  { id: 'ns-user', what: 'user', args: ['--user', '--map-root-user', 'true'] },
  { id: 'ns-mount', what: 'mount', args: ['--mount', 'true'] },
  { id: 'ns-pid', what: 'pid', args: ['--pid', '--fork', 'true'] },
  { id: 'ns-net', what: 'network', args: ['--net', 'true'] },
] as const;

async function checkNamespace(p: DoctorProbes, ns: (typeof NAMESPACES)[number]): Promise<Check> {
  const r = await p.run('unshare', [...ns.args]);
  if ('error' in r)
    return bad(ns.id, 'error', `cannot test ${ns.what} namespaces: ${r.error}`, 'apt-get install util-linux');
  if (r.exitCode === 0)
    return ok(ns.id, 'error', `${ns.what} namespaces work (unshare ${ns.args.join(' ')})`);
  const why = r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;
  return bad(
    ns.id,
    'error',
    `cannot create a ${ns.what} namespace: ${why}`,
    ns.what === 'user'
      ? 'enable user namespaces: sysctl -w user.max_user_namespaces=15000 (and kernel.unprivileged_userns_clone=1 on older kernels)'
      : 'run as root on the host, or in a container started with --privileged (CAP_SYS_ADMIN, no seccomp/AppArmor block on unshare)',
  );
}

const IDMAP_FIX =
  'jrt exec needs dist/jrt-idmap (npm run build; it needs gcc, libc6-dev, linux-libc-dev) and idmapped mounts: Linux >= 5.12 and a filesystem that has them (ext4, xfs, btrfs, tmpfs >= 6.3; not NFS)';

/** Whether jobs can get their directories: the helper runs, and idmaps a clone of the state's mount. */
function checkExecConfig(c: DoctorOptions['execConfig']): Check {
  if (c.error !== undefined) {
    return bad(
      'exec-config',
      'error',
      `${c.error}: every job fails until it is fixed`,
      `fix ${c.file} (docs/exec.md, "The host's defaults")`,
    );
  }
  return ok(
    'exec-config',
    'error',
    c.settings !== undefined
      ? `${c.file}: ${c.settings || 'nothing set'} (every job's defaults; flags override)`
      : `no ${c.file}: built-in job defaults (memory: the runtime's recommended_memory, else 1g; pids 1024)`,
  );
}

function checkExecCodeCache(c: DoctorOptions['execCodeCache']): Check {
  const fix =
    'run `npm run build` with the Node that runs jrt (it makes the cache; docs/exec.md, "Start-up cost")';
  if (c.error !== undefined)
    return bad('exec-code-cache', 'error', `cannot compile ${c.file}: ${c.error}`, fix);
  if (c.state === 'accepted')
    return ok('exec-code-cache', 'warn', `${c.file}: its code cache is this Node's`);
  const why =
    c.state === 'missing'
      ? `${c.file}.cache is missing`
      : `${c.file}.cache was made by another Node or with other V8 flags`;
  return bad('exec-code-cache', 'warn', `${why}: every job's start compiles jrt (≈ 2-5 ms more)`, fix);
}

async function checkIdmap(p: DoctorProbes, helper: string, state: string): Promise<Check> {
  let dir = state;
  while (dir !== '/' && !(await p.exists(dir))) dir = dir.slice(0, dir.lastIndexOf('/')) || '/';
  const r = await p.run(helper, ['--check', dir]);
  if ('error' in r) return bad('idmap', 'error', `cannot run ${helper}: ${r.error}`, IDMAP_FIX);
  if (r.exitCode === 0) return ok('idmap', 'error', r.stdout.trim() || `idmapped mounts work on ${dir}`);
  const why = r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;
  return bad('idmap', 'error', `jobs cannot get their working directory: ${why}`, IDMAP_FIX);
}

const USERNS_FIX =
  'jrt build needs dist/jrt-userns (npm run build; it needs gcc, libc6-dev) and user namespaces whose ids map to a range of host ids (user.max_user_namespaces > 0; no LSM policy refusing them to root)';

/** Whether builds can run: the helper runs `true` as root of the build's user namespace. */
async function checkBuildUserns(p: DoctorProbes, helper: string): Promise<Check> {
  const [file, ...args] = inBuildUserns(['true'], helper);
  const r = await p.run(file as string, args);
  if ('error' in r) return bad('build-userns', 'error', `cannot run ${helper}: ${r.error}`, USERNS_FIX);
  const range = `host ids ${BUILD_ID_BASE}..${BUILD_ID_BASE + BUILD_ID_COUNT - 1}`;
  if (r.exitCode === 0)
    return ok('build-userns', 'error', `build code runs as root of a user namespace only (${range})`);
  const why = r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;
  return bad('build-userns', 'error', `builds cannot run their steps: ${why}`, USERNS_FIX);
}

async function checkOverlay(p: DoctorProbes): Promise<Check> {
  const fs = await p.readText('/proc/filesystems');
  if (fs === undefined) return bad('overlayfs', 'error', 'cannot read /proc/filesystems', 'mount /proc');
  const has = fs.split('\n').some((l) => l.split('\t').pop()?.trim() === 'overlay');
  return has
    ? ok('overlayfs', 'error', 'overlayfs is available (throwaway layers over cached build roots)')
    : bad(
        'overlayfs',
        'error',
        'overlayfs is not in /proc/filesystems',
        'modprobe overlay (and add it to /etc/modules)',
      );
}

async function checkCgroups(p: DoctorProbes, cgroupParent: string | undefined): Promise<Check[]> {
  const mounts = (await p.readText('/proc/self/mounts')) ?? '';
  const parsed = parseCgroupMounts(mounts);
  const v2Text = parsed.v2Mount ? await p.readText(`${parsed.v2Mount}/cgroup.controllers`) : undefined;
  const layout: CgroupLayout = {
    ...parsed,
    v2Controllers: (v2Text ?? '').trim().split(/\s+/).filter(Boolean),
  };
  const plan = cgroupPlan(layout);
  const v2Useful = layout.v2Controllers.filter((c) => [...REQUIRED_CONTROLLERS, 'cpuset'].includes(c));
  const v2Desc = layout.v2Mount
    ? `cgroup v2 at ${layout.v2Mount} ${v2Useful.length > 0 ? `has ${v2Useful.join(', ')}` : 'has none of memory, cpu, pids, cpuset'}`
    : 'no cgroup v2 mount';
  const v1Names = Object.keys(layout.v1).filter((c) => [...REQUIRED_CONTROLLERS, 'cpuset'].includes(c));
  const v1Desc = v1Names.length > 0 ? `v1 ${v1Names.join(', ')}` : 'no v1 controllers';
  const where = REQUIRED_CONTROLLERS.map((c) => `${c}: ${plan.from[c] ?? 'missing'}`).join(', ');
  const cgroups =
    plan.missing.length > 0
      ? bad(
          'cgroups',
          'error',
          `job limits need the ${plan.missing.join(', ')} controller${plan.missing.length > 1 ? 's' : ''}: ${v2Desc}; ${v1Desc}`,
          'boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1) or mount the v1 controllers (mount -t cgroup -o memory cgroup /sys/fs/cgroup/memory, ...)',
        )
      : ok(
          'cgroups',
          'error',
          `${v2Desc}; ${v1Desc}: jrt will use ${plan.mode === 'mixed' ? `both (${where})` : plan.mode}`,
        );
  const cpuset = plan.from.cpuset
    ? ok('cpuset', 'warn', `cpuset (CPU affinity) from cgroup ${plan.from.cpuset}`)
    : bad(
        'cpuset',
        'warn',
        'no cpuset controller: jobs cannot be pinned to CPUs',
        'enable cpuset (echo +cpuset > <cgroup2>/cgroup.subtree_control, or mount the v1 cpuset hierarchy)',
      );
  const v2Used = plan.from.memory === 'v2' ? layout.v2Mount : undefined;
  return [cgroups, cpuset, await checkDelegation(p, v2Used, cgroupParent)];
}

async function checkTool(
  p: DoctorProbes,
  name: string,
  pkg: string,
  why: string,
  level: Check['level'] = 'error',
): Promise<Check> {
  const where = await p.which(name);
  if (!where) return bad(name, level, `${name} is not on PATH (it ${why})`, `apt-get install ${pkg}`);
  const r = await p.run(where, ['--version']);
  const version = 'error' in r ? undefined : (r.stdout || r.stderr).trim().split('\n')[0];
  if ('error' in r || r.exitCode !== 0 || !version)
    return bad(
      name,
      level,
      `${where} does not run: ${'error' in r ? r.error : `exit ${r.exitCode}`}`,
      `apt-get install --reinstall ${pkg}`,
    );
  return ok(name, level, `${version} (${where})`);
}

async function checkDisk(p: DoctorProbes, id: string, what: string, dir: string): Promise<Check> {
  const free = await p.freeBytes(dir);
  if (!free)
    return bad(
      id,
      'warn',
      `cannot measure free space for the ${what} ${dir}`,
      `check that ${dir} or a parent exists`,
    );
  const text = `${formatBytes(free.bytes)} free under the ${what} ${dir}${free.path !== dir ? ` (on ${free.path})` : ''}`;
  return free.bytes >= MIN_FREE_BYTES
    ? ok(id, 'warn', text)
    : bad(
        id,
        'warn',
        `only ${text}; a runtime build needs up to ${formatBytes(MIN_FREE_BYTES)}`,
        `free space on ${free.path} or point ${id === 'disk-root' ? 'JRT_ROOT' : 'JRT_CACHE'} elsewhere`,
      );
}

/** A filesystem of jrt's above usage_warn, and what `jrt gc` would free there. */
function checkDiskUsage(u: DiskUsageState): Check {
  if (u.error !== undefined || !u.filesystems || u.threshold === undefined)
    return bad(
      'disk-usage',
      'warn',
      `cannot tell how full jrt's filesystems are: ${u.error ?? 'not measured'}`,
      'see /etc/jrt/gc.conf (docs/disk.md)',
    );
  const full = u.filesystems.filter((f) => f.usedPercent > (u.threshold as number));
  const list = (fs: typeof full) =>
    fs.map((f) => `${f.path} (${f.holds.join(', ')}) ${f.usedPercent}%`).join('; ');
  if (full.length === 0)
    return ok(
      'disk-usage',
      'warn',
      `jrt's filesystems are at most ${u.threshold}% full: ${list(u.filesystems)}`,
    );
  const gc = u.gc;
  const kinds = gc
    ? Object.entries(gc.byKind)
        .filter(([, b]) => b > 0)
        .map(([k, b]) => `${k} ${formatBytes(b)}`)
        .join(', ')
    : '';
  return bad(
    'disk-usage',
    'warn',
    `above usage_warn ${u.threshold}%: ${list(full)}; jrt gc would free ${gc ? `${formatBytes(gc.bytes)} (${gc.items} item(s)${kinds ? `: ${kinds}` : ''})` : 'nothing it can tell'}`,
    gc && gc.bytes > 0
      ? "run 'jrt gc' (see 'jrt gc --dry-run' first); 'jrt df' shows what else takes the space"
      : "'jrt df' shows what takes the space: remove runtimes or volumes no longer needed",
  );
}

const DEBIAN_FIX = 'check the network and the URIs in /etc/apt/sources.list.d/ (or set JRT_DEBIAN_MIRROR)';
const NPM_FIX = "check the network and 'npm config get registry' (or set JRT_NPM_REGISTRY)";

async function checkReachable(
  p: DoctorProbes,
  id: string,
  what: string,
  url: string,
  fix: string,
): Promise<Check> {
  const r = await p.probe(url);
  return r.ok
    ? ok(id, 'warn', `${what} ${url} answers (HTTP ${r.status ?? '?'})`)
    : bad(
        id,
        'warn',
        `${what} ${url} is unreachable: ${r.error ?? 'no answer'}; builds cannot fetch inputs`,
        fix,
      );
}

/** Exit 0 when no error-level check failed. */
export function doctorOk(checks: Check[]): boolean {
  return checks.every((c) => c.ok || c.level !== 'error');
}
