/**
 * The `cgroup-delegation` check: on cgroup v2 under systemd, whether the cgroup jrt runs in is
 * delegated to it, and so where job cgroups will go (src/runner/cgroup-v2.ts decides the same way).
 */
import { unitOfCgroup, v2PathOf } from '../runner/systemd.js';
import type { Check, DoctorProbes } from './checks.js';

const ID = 'cgroup-delegation';
const JOB_CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuset'];
const UNIT_DOC = 'see docs/install.md: systemd/50-jrt.conf';

const check = (ok: boolean, level: Check['level'], message: string, fix = ''): Check => ({
  id: ID,
  ok,
  level,
  message,
  fix: ok ? '' : fix,
});

/** `v2Mount` is the unified hierarchy when it carries the job controllers, else undefined (v1 is used). */
export async function checkDelegation(
  p: DoctorProbes,
  v2Mount: string | undefined,
  cgroupParent: string | undefined,
): Promise<Check> {
  if (!v2Mount)
    return check(
      true,
      'warn',
      "cgroup v1: job cgroups go beneath jrt's own cgroup in each controller's hierarchy",
    );
  const own = v2PathOf((await p.readText('/proc/self/cgroup')) ?? '') ?? '/';
  if (cgroupParent)
    return check(
      true,
      'warn',
      `cgroup v2: job cgroups go beneath JRT_CGROUP_PARENT=${cgroupParent}, as configured`,
    );
  if (!(await p.exists('/run/systemd/system')))
    return check(true, 'warn', `cgroup v2 without systemd: job cgroups go beneath jrt's own cgroup ${own}`);
  const unit = unitOfCgroup(own);
  const shown = unit
    ? await p.run('systemctl', ['show', '--property=Delegate', '--value', '--', unit.unit])
    : undefined;
  if (shown && 'error' in shown)
    return check(
      false,
      'error',
      `cannot ask systemd about ${unit?.unit}: ${shown.error}`,
      'apt-get install systemd',
    );
  const delegated = shown?.stdout.trim() === 'yes';
  if (!delegated) {
    if (!(await p.which('busctl')))
      return check(
        false,
        'error',
        `cgroup v2 under systemd: ${own} (${unit?.unit ?? 'no unit'}) is not delegated, and busctl (to ask systemd for a delegated scope) is missing`,
        `apt-get install systemd, or run jrt from a service with Delegate=yes (${UNIT_DOC})`,
      );
    return check(
      true,
      'warn',
      `cgroup v2 under systemd: ${own} (${unit?.unit ?? 'no unit'}) is not delegated; each job gets a delegated scope of its own from systemd (jrt-<id>.scope${unit?.slice ? ` in ${unit.slice}` : ''}). To keep jobs inside a service, run jrt from one with Delegate=yes (${UNIT_DOC})`,
    );
  }
  const available = ((await p.readText(`${v2Mount}${unit?.unitPath}/cgroup.controllers`)) ?? '').split(/\s+/);
  const missing = JOB_CONTROLLERS.filter((c) => !available.includes(c));
  const where = `cgroup v2 under systemd: ${own} is inside ${unit?.unit} (Delegate=yes); job cgroups go in its subtree, beside a leaf holding its processes`;
  return missing.length === 0
    ? check(true, 'warn', where)
    : check(
        false,
        'warn',
        `${where}, but ${unit?.unit} is not given ${missing.join(', ')}: limits that need ${missing.length > 1 ? 'them' : 'it'} fail`,
        `Delegate=yes (all controllers) on ${unit?.unit} (${UNIT_DOC})`,
      );
}
