/**
 * Which cgroup hierarchy holds the controllers jrt limits jobs with. Hosts are pure v2, pure v1, or
 * hybrid (v1 controllers plus a cgroup2 mount without them, as on the machines jrt was measured on).
 */

/** Controllers a job's limits need; cpuset (affinity) is reported separately, as optional. */
export const REQUIRED_CONTROLLERS = ['memory', 'cpu', 'pids'] as const;

export interface CgroupLayout {
  /** Mount point of the cgroup2 hierarchy, if any. */
  v2Mount?: string;
  /** Controllers enabled in the v2 hierarchy (its cgroup.controllers). */
  v2Controllers: string[];
  /** v1 controller → its mount point. */
  v1: Record<string, string>;
}

/** Parse /proc/self/mounts lines into cgroup mounts (pure). */
export function parseCgroupMounts(mounts: string): { v2Mount?: string; v1: Record<string, string> } {
  let v2Mount: string | undefined;
  const v1: Record<string, string> = {};
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    const where = mountPoint.replace(/\\040/g, ' ');
    if (type === 'cgroup2') v2Mount ??= where;
    else if (type === 'cgroup')
      for (const opt of options.split(','))
        if (/^[a-z_]+$/.test(opt) && !V1_OPTIONS.has(opt)) v1[opt] = where;
  }
  return v2Mount === undefined ? { v1 } : { v2Mount, v1 };
}

/** Mount options of a v1 cgroup that are not controller names. */
const V1_OPTIONS = new Set([
  'rw',
  'ro',
  'nosuid',
  'nodev',
  'noexec',
  'relatime',
  'noatime',
  'xattr',
  'clone_children',
]);

export type CgroupMode = 'v2' | 'v1' | 'mixed' | 'none';

/** Where each controller comes from, preferring v2, and the mode that follows. */
export function cgroupPlan(layout: CgroupLayout): {
  mode: CgroupMode;
  missing: string[];
  from: Record<string, 'v2' | 'v1'>;
} {
  const from: Record<string, 'v2' | 'v1'> = {};
  for (const c of [...REQUIRED_CONTROLLERS, 'cpuset']) {
    if (layout.v2Controllers.includes(c)) from[c] = 'v2';
    else if (layout.v1[c] !== undefined) from[c] = 'v1';
  }
  const missing = REQUIRED_CONTROLLERS.filter((c) => from[c] === undefined);
  const sources = new Set(REQUIRED_CONTROLLERS.map((c) => from[c]).filter((s) => s !== undefined));
  const mode: CgroupMode =
    missing.length === REQUIRED_CONTROLLERS.length
      ? 'none'
      : sources.size > 1
        ? 'mixed'
        : ((sources.values().next().value as 'v1' | 'v2' | undefined) ?? 'none');
  return { mode, missing, from };
}
