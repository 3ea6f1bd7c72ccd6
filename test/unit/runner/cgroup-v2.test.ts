/**
 * Where a job's v2 cgroup goes under systemd, against a model of the kernel's rules (a process is in
 * exactly one cgroup; a cgroup with processes cannot enable controllers for its children; only
 * controllers the parent passes on are available) and a fake systemd. The real kernel and systemd
 * are exercised in test/vm/.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CgroupFiles, LEAF, v2JobParent } from '../../../src/runner/cgroup-v2.js';
import type { SystemdLink } from '../../../src/runner/systemd.js';
import { unitOfCgroup } from '../../../src/runner/systemd.js';

const ROOT = '/cg';
const ALL = ['cpuset', 'cpu', 'io', 'memory', 'pids'];

/** cgroup path → its processes and the controllers it enables for its children. */
class KernelModel implements CgroupFiles {
  groups = new Map<string, { procs: number[]; subtree: string[] }>();
  constructor(tree: Record<string, { procs?: number[]; subtree?: string[] }>) {
    this.ensure('/');
    for (const [cg, g] of Object.entries(tree)) {
      for (let p = cg; p !== '/'; p = path.posix.dirname(p)) this.ensure(p);
      Object.assign(this.groups.get(cg) as object, { procs: g.procs ?? [], subtree: g.subtree ?? [] });
    }
  }
  ensure(cg: string) {
    if (!this.groups.has(cg)) this.groups.set(cg, { procs: [], subtree: [] });
  }
  split(file: string): [string, string] {
    const rel = `/${path.relative(ROOT, file)}`;
    return [path.posix.dirname(rel), path.posix.basename(rel)];
  }
  group(cg: string) {
    const g = this.groups.get(cg);
    if (!g) throw Object.assign(new Error(`ENOENT ${cg}`), { code: 'ENOENT' });
    return g;
  }
  available(cg: string): string[] {
    return cg === '/' ? ALL : this.group(path.posix.dirname(cg)).subtree;
  }
  read(file: string): string {
    const [cg, name] = this.split(file);
    const g = this.group(cg);
    if (name === 'cgroup.procs') return g.procs.map((p) => `${p}\n`).join('');
    if (name === 'cgroup.subtree_control') return g.subtree.join(' ');
    if (name === 'cgroup.controllers') return this.available(cg).join(' ');
    throw new Error(`no ${name}`);
  }
  write(file: string, value: string): void {
    const [cg, name] = this.split(file);
    const g = this.group(cg);
    if (name === 'cgroup.procs') {
      if (cg !== '/' && g.subtree.length > 0) throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
      for (const other of this.groups.values()) other.procs = other.procs.filter((p) => p !== Number(value));
      g.procs.push(Number(value));
    } else if (name === 'cgroup.subtree_control') {
      if (cg !== '/' && g.procs.length > 0) throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
      for (const c of value.split(' ')) {
        if (!this.available(cg).includes(c.slice(1))) throw new Error(`ENOENT ${c}`);
        if (!g.subtree.includes(c.slice(1))) g.subtree.push(c.slice(1));
      }
    } else throw new Error(`cannot write ${name}`);
  }
  mkdir(dir: string): void {
    const [parent, name] = this.split(dir);
    const cg = path.posix.join(parent, name);
    if (this.groups.has(cg)) throw Object.assign(new Error('EEXIST'), { code: 'EEXIST' });
    this.group(parent);
    this.ensure(cg);
  }
}

const JRT = 4242;

function fakeSystemd(k: KernelModel, delegated: string[]): SystemdLink & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    delegates: (unit) => delegated.includes(unit),
    async startDelegatedScope(name, slice) {
      const sliceDir = [...k.groups.keys()].find((cg) => cg.endsWith(`/${slice}`)) ?? '/system.slice';
      const cg = path.posix.join(sliceDir, name);
      k.ensure(cg);
      k.group(sliceDir).subtree = ALL; // systemd passes every controller to a delegated unit
      k.write(path.join(ROOT, cg, 'cgroup.procs'), String(JRT));
      scopes.push(cg);
      return cg;
    },
  };
}

const place = (k: KernelModel, own: string, systemd: SystemdLink, lines: string[] = []) => ({
  root: ROOT,
  own,
  systemd,
  id: 'j1',
  note: (l: string) => lines.push(l),
  files: k,
});

describe('unitOfCgroup', () => {
  it.each([
    ['/user.slice/user-0.slice/session-3.scope', 'session-3.scope', 'user-0.slice'],
    ['/system.slice/joblet.service/joblet-main', 'joblet.service', 'system.slice'],
    ['/joblet.slice/joblet.service', 'joblet.service', 'joblet.slice'],
    ['/init.scope', 'init.scope', undefined],
  ])('%s belongs to %s in %s', (cg, unit, slice) => {
    expect(unitOfCgroup(cg)?.unit).toBe(unit);
    expect(unitOfCgroup(cg)?.slice).toBe(slice);
  });
  it('the root and slices belong to no unit', () => {
    expect(unitOfCgroup('/')).toBeUndefined();
    expect(unitOfCgroup('/user.slice')).toBeUndefined();
  });
});

describe('v2JobParent under systemd', () => {
  it('from a login session (not delegated): a delegated scope of its own in the same slice, jrt in its leaf', async () => {
    const session = '/user.slice/user-0.slice/session-3.scope';
    const k = new KernelModel({ [session]: { procs: [100, JRT] }, '/user.slice/user-0.slice': {} });
    const sd = fakeSystemd(k, []);
    const lines: string[] = [];
    const parent = await v2JobParent(place(k, session, sd, lines), ['memory', 'pids']);
    const scope = '/user.slice/user-0.slice/jrt-j1.scope';
    expect(sd.scopes).toEqual([scope]);
    expect(parent).toBe(path.join(ROOT, scope));
    expect(k.group(`${scope}/${LEAF}`).procs).toEqual([JRT]);
    expect(k.group(scope).subtree).toEqual(['memory', 'pids']);
    expect(k.group(session).procs).toEqual([100]); // the shell was not touched
    expect(lines.join('\n')).toContain('is not delegated to jrt; moved into a delegated scope of its own');
  });

  it('in a delegated service with its main process: every process into the leaf, the job beside it', async () => {
    const svc = '/system.slice/joblet.service';
    const k = new KernelModel({ [svc]: { procs: [1, JRT] }, '/system.slice': { subtree: ALL } });
    const sd = fakeSystemd(k, ['joblet.service']);
    const parent = await v2JobParent(place(k, svc, sd), ['memory', 'pids', 'cpuset']);
    expect(sd.scopes).toEqual([]);
    expect(parent).toBe(path.join(ROOT, svc));
    expect(k.group(`${svc}/${LEAF}`).procs).toEqual([1, JRT]);
    expect(k.group(svc).subtree).toEqual(['memory', 'pids', 'cpuset']);
  });

  it('a second jrt in that leaf uses its parent as it is: no move, nothing re-enabled', async () => {
    const svc = '/system.slice/joblet.service';
    const k = new KernelModel({
      '/system.slice': { subtree: ALL },
      [svc]: { subtree: ['memory', 'pids'] },
      [`${svc}/${LEAF}`]: { procs: [1, JRT] },
    });
    const parent = await v2JobParent(place(k, `${svc}/${LEAF}`, fakeSystemd(k, ['joblet.service'])), [
      'memory',
      'pids',
    ]);
    expect(parent).toBe(path.join(ROOT, svc));
    expect(k.group(`${svc}/${LEAF}`).procs).toEqual([1, JRT]);
  });

  it("Joblet's own layout (joblet-main): the job goes beside it, with cpu enabled on the way", async () => {
    const svc = '/joblet.slice/joblet.service';
    const k = new KernelModel({
      '/joblet.slice': { subtree: ALL },
      [svc]: { subtree: ['memory', 'pids'] },
      [`${svc}/joblet-main`]: { procs: [7, JRT] },
    });
    const parent = await v2JobParent(place(k, `${svc}/joblet-main`, fakeSystemd(k, ['joblet.service'])), [
      'memory',
      'pids',
      'cpu',
    ]);
    expect(parent).toBe(path.join(ROOT, svc));
    expect(k.group(svc).subtree).toEqual(['memory', 'pids', 'cpu']);
  });

  it('a controller the unit does not delegate is named, with the fix', async () => {
    const svc = '/system.slice/joblet.service';
    const k = new KernelModel({ '/system.slice': { subtree: ['memory', 'pids'] }, [svc]: { procs: [JRT] } });
    await expect(
      v2JobParent(place(k, svc, fakeSystemd(k, ['joblet.service'])), ['memory', 'pids', 'cpuset']),
    ).rejects.toMatchObject({
      code: 'ERR_JRT_CGROUP',
      message: expect.stringContaining(
        'the cpuset controller is not available in /cg/system.slice/joblet.service',
      ),
      hint: expect.stringContaining('DelegateControllers='),
    });
  });

  it('a plain systemd-run --scope (not delegated) gets a scope of its own too', async () => {
    const run = '/system.slice/run-u7.scope';
    const k = new KernelModel({ [run]: { procs: [JRT] }, '/system.slice': { subtree: ALL } });
    const sd = fakeSystemd(k, []);
    expect(await v2JobParent(place(k, run, sd), ['memory', 'pids'])).toBe(
      path.join(ROOT, '/system.slice/jrt-j1.scope'),
    );
    expect(k.group(run).procs).toEqual([]);
  });
});

describe('v2JobParent without systemd (as before)', () => {
  it("enables the controllers in jrt's own cgroup or JRT_CGROUP_PARENT and goes beneath it", async () => {
    const k = new KernelModel({ '/': { subtree: ALL }, '/jobs': {}, '/me': { procs: [] } });
    const base = { root: ROOT, systemd: undefined, id: 'j1', note: () => {}, files: k };
    expect(await v2JobParent({ ...base, own: '/me' }, ['memory'])).toBe(path.join(ROOT, '/me'));
    expect(await v2JobParent({ ...base, own: '/me', parent: '/jobs' }, ['memory', 'pids'])).toBe(
      path.join(ROOT, '/jobs'),
    );
    expect(k.group('/jobs').subtree).toEqual(['memory', 'pids']);
  });
});
