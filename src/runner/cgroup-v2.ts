/**
 * Where a job's cgroup goes on the unified (v2) hierarchy, and making that place able to carry it.
 *
 * Two rules of cgroup v2 under systemd decide it. Only a subtree delegated to jrt (a unit with
 * Delegate=yes) is jrt's to write in; a login session's scope or a plain service is systemd's. And a
 * cgroup can enable controllers for its children only while it holds no process itself ("no internal
 * processes"), while jrt necessarily sits in the cgroup it starts in. So, on a systemd host:
 *  1. jrt's own cgroup not delegated → jrt asks systemd for a delegated scope of its own
 *     (jrt-<id>.scope, in the slice it was in) and moves there;
 *  2. in the delegated subtree, the job's cgroup goes beside jrt's: beneath the parent of jrt's cgroup
 *     when that parent is inside the subtree and holds no process (a leaf made by an earlier jrt, by
 *     systemd's DelegateSubgroup=, by Joblet's own joblet-main), else jrt first moves every process of
 *     its cgroup into a leaf `supervisor` beneath it (what DelegateSubgroup= does on newer systemd);
 *  3. the controllers the job needs are enabled from the delegation root down to that parent.
 * Without systemd (or with JRT_CGROUP_PARENT) the parent is jrt's cgroup or the one configured, as before.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { type SystemdLink, unitOfCgroup } from './systemd.js';

/** The leaf every process of a delegated cgroup moves into before its controllers are enabled. */
export const LEAF = 'supervisor';

/** The cgroup file system calls made here (tests pass a model of the kernel's rules). */
export interface CgroupFiles {
  read(file: string): string;
  write(file: string, value: string): void;
  mkdir(dir: string): void;
}

const HOST_FILES: CgroupFiles = {
  read: (file) => readFileSync(file, 'utf8'),
  write: (file, value) => writeFileSync(file, value),
  mkdir: (dir) => mkdirSync(dir),
};

export interface V2Place {
  /** Mount point of the unified hierarchy. */
  root: string;
  /** jrt's own cgroup path (as in /proc/self/cgroup). */
  own: string;
  /** JRT_CGROUP_PARENT: a cgroup path to use as it is. */
  parent?: string | undefined;
  /** systemd as PID 1; undefined where it is not. */
  systemd?: SystemdLink | undefined;
  /** The job id (names jrt's scope). */
  id: string;
  /** JRT_TRACE lines: what jrt decided and why. */
  note: (line: string) => void;
  files?: CgroupFiles;
}

const inside = (p: string, root: string) => p === root || p.startsWith(root === '/' ? '/' : `${root}/`);

/** The directory the job's cgroup is made in, with `controllers` enabled in its subtree_control. */
export async function v2JobParent(place: V2Place, controllers: string[]): Promise<string> {
  const fs = place.files ?? HOST_FILES;
  const dir = (cg: string) => path.join(place.root, cg);
  if (place.parent || !place.systemd) {
    // As jrt always did where there is no systemd: the parent is its own cgroup or the one configured.
    const parent = dir(place.parent ?? place.own);
    writeFileOr(fs, path.join(parent, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '));
    return parent;
  }
  let own = place.own;
  const unit = unitOfCgroup(own);
  let delegated = unit && place.systemd.delegates(unit.unit) ? unit.unitPath : undefined;
  if (!delegated) {
    const scope = `jrt-${place.id}.scope`;
    own = await place.systemd.startDelegatedScope(scope, unit?.slice);
    delegated = own;
    place.note(
      `cgroup: ${place.own} (${unit?.unit ?? 'no unit'}) is not delegated to jrt; moved into a delegated scope of its own: ${own}`,
    );
  } else place.note(`cgroup: ${own} is inside ${unit?.unit}, which delegates ${delegated} (Delegate=yes)`);
  const up = path.posix.dirname(own);
  let parent: string;
  if (own !== delegated && inside(up, delegated) && procs(fs, dir(up)).length === 0) {
    parent = up;
  } else {
    const moved = moveAllInto(fs, dir(own), path.join(dir(own), LEAF));
    parent = own;
    place.note(`cgroup: moved ${moved} process(es) of ${own} into its leaf ${LEAF} (no internal processes)`);
  }
  for (let cg = delegated; ; ) {
    enable(fs, dir(cg), controllers);
    if (cg === parent) break;
    const next = parent.slice(cg.length + (cg === '/' ? 0 : 1)).split('/')[0] as string;
    cg = path.posix.join(cg, next);
  }
  place.note(`cgroup: job cgroups go beneath ${parent}`);
  return dir(parent);
}

function writeFileOr(fs: CgroupFiles, file: string, value: string): void {
  try {
    fs.write(file, value);
  } catch (e) {
    throw cgroupError(`cannot write '${value}' to ${file}`, e);
  }
}

function procs(fs: CgroupFiles, dir: string): number[] {
  return fs.read(path.join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
}

/** Move every process of `from` into `to` (made if missing) until none is left; returns how many moved. */
function moveAllInto(fs: CgroupFiles, from: string, to: string): number {
  try {
    fs.mkdir(to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cgroupError(`cannot create ${to}`, e);
  }
  let moved = 0;
  // A process may fork while the others are moved: go again until the cgroup is empty.
  for (let round = 0; round < 50; round++) {
    const left = procs(fs, from);
    if (left.length === 0) return moved;
    for (const pid of left) {
      try {
        fs.write(path.join(to, 'cgroup.procs'), String(pid));
        moved++;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH')
          throw cgroupError(`cannot move ${pid} into ${to}`, e);
      }
    }
  }
  throw failure('ERR_JRT_CGROUP', `${from} keeps gaining processes; cannot empty it into ${to}`);
}

/** Enable the controllers `dir` does not pass on yet; each must be available to it. */
function enable(fs: CgroupFiles, dir: string, controllers: string[]): void {
  const read = (f: string) => fs.read(path.join(dir, f)).trim().split(/\s+/).filter(Boolean);
  let enabled: string[];
  let available: string[];
  try {
    enabled = read('cgroup.subtree_control');
    available = read('cgroup.controllers');
  } catch (e) {
    throw cgroupError(`cannot read the controllers of ${dir}`, e);
  }
  const missing = controllers.filter((c) => !enabled.includes(c));
  if (missing.length === 0) return;
  const absent = missing.filter((c) => !available.includes(c));
  if (absent.length > 0)
    throw failure('ERR_JRT_CGROUP', `the ${absent.join(', ')} controller is not available in ${dir}`, {
      hint: 'delegate it to the unit jrt runs in (Delegate=yes, or add it to DelegateControllers=)',
    });
  try {
    fs.write(path.join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
  } catch (e) {
    const busy = (e as NodeJS.ErrnoException).code === 'EBUSY';
    throw cgroupError(
      `cannot enable ${missing.join(', ')} in ${dir}${busy ? ': it holds processes (no internal processes rule)' : ''}`,
      e,
    );
  }
}

function cgroupError(what: string, e: unknown) {
  return failure('ERR_JRT_CGROUP', `${what}: ${(e as Error).message}`, {
    hint: 'jrt exec needs root and a cgroup it may create children in: a unit with Delegate=yes, or JRT_CGROUP_PARENT',
  });
}
