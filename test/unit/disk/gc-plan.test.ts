import { describe, expect, it } from 'vitest';
import { type GcItem, planGc } from '../../../src/disk/gc-plan.js';
import { GC_DEFAULTS } from '../../../src/disk/settings.js';
import type { DiskSnapshot, Entry } from '../../../src/disk/snapshot.js';

const NOW = Date.UTC(2026, 11, 2);
const DAY = 86_400_000;
const SHA = (c: string) => c.repeat(64);
const LIVE = 4242;
const DEAD = 999_999;

const entry = (dir: string, name: string, bytes = 4096, mtimeMs = NOW - DAY): Entry => ({
  path: `${dir}/${name}`,
  name,
  bytes,
  mtimeMs,
});

function snapshot(over: Partial<DiskSnapshot> = {}): DiskSnapshot {
  return {
    nowMs: NOW,
    alive: (pid) => pid === LIVE,
    runtimes: [],
    versionDirs: [],
    blobs: [],
    artifacts: [],
    bases: [],
    temp: [],
    volumeDebris: [],
    logs: [],
    recipes: { dir: '/r', blobs: new Set(), bases: new Set(), problems: [] },
    installing: [],
    jobs: [],
    mounts: [],
    ...over,
  };
}

/** path → [action, reason] of every item. */
const decisions = (items: GcItem[]) => Object.fromEntries(items.map((i) => [i.path, [i.action, i.reason]]));
const action = (s: DiskSnapshot, p: string) => planGc(s, GC_DEFAULTS).items.find((i) => i.path === p)?.action;

describe('planGc: blobs', () => {
  const B = '/c/blobs/sha256';
  const blobs = [
    entry(B, SHA('a')),
    entry(B, SHA('b')),
    entry(B, `.incoming-${SHA('c')}-${DEAD}`),
    entry(B, `.incoming-${LIVE}-1700000000000`),
    entry(B, 'planted-name'),
  ];
  it('removes blobs no lock pins and partials of dead processes; keeps the rest, saying why', () => {
    const s = snapshot({
      blobs,
      recipes: { dir: '/r', blobs: new Set([SHA('a')]), bases: new Set(), problems: [] },
    });
    const plan = planGc(s, GC_DEFAULTS);
    expect(decisions(plan.items)).toEqual({
      [`${B}/${SHA('a')}`]: ['keep', 'pinned by a lock in /r'],
      [`${B}/${SHA('b')}`]: ['remove', 'no lock in /r pins it'],
      [`${B}/.incoming-${SHA('c')}-${DEAD}`]: ['remove', `partial download of pid ${DEAD}, which is gone`],
      [`${B}/.incoming-${LIVE}-1700000000000`]: ['keep', `being downloaded by pid ${LIVE}`],
      [`${B}/planted-name`]: ['keep', 'not a name jrt gives a blob'],
    });
    expect(plan.freed).toBe(2 * 4096);
  });
  it('keeps every blob while a build runs (it may be about to use one)', () => {
    const s = snapshot({ blobs, temp: [entry('/c/tmp', `build-${LIVE}-abcd1234`)] });
    expect(action(s, `${B}/${SHA('b')}`)).toBe('keep');
    expect(planGc(s, GC_DEFAULTS).items.find((i) => i.path === `${B}/${SHA('b')}`)?.reason).toBe(
      `a build is running (pid ${LIVE})`,
    );
  });
  it('keeps every blob when a recipe or lock could not be read', () => {
    const s = snapshot({
      blobs,
      recipes: { dir: '/r', blobs: new Set(), bases: new Set(), problems: ['x.yml: bad'] },
    });
    expect(action(s, `${B}/${SHA('b')}`)).toBe('keep');
  });
  it('a dead build leaves no reason to keep blobs', () => {
    const s = snapshot({ blobs, temp: [entry('/c/tmp', `build-${DEAD}-abcd1234`)] });
    expect(action(s, `${B}/${SHA('b')}`)).toBe('remove');
  });
});

describe('planGc: artifacts', () => {
  const A = '/c/artifacts';
  const art = (name: string, runtime: string | undefined, age: number) => ({
    ...entry(A, name, 1000, NOW - age * DAY),
    ...(runtime ? { runtime } : {}),
  });
  const artifacts = [
    art('java-17-17.0.1.jrt.tar.gz', 'java-17', 3),
    art('java-17-17.0.2.jrt.tar.gz', 'java-17', 1),
    art('java-17-17.0.0.jrt.tar.gz', 'java-17', 9),
    art('node-18-18.jrt.tar.gz', 'node-18', 30),
    art('junk.jrt.tar.gz', undefined, 50),
  ];
  it('keeps the newest per runtime (keep_artifacts) and removes the older ones', () => {
    const d = decisions(planGc(snapshot({ artifacts }), GC_DEFAULTS).items);
    expect(d[`${A}/java-17-17.0.2.jrt.tar.gz`]?.[0]).toBe('keep');
    expect(d[`${A}/java-17-17.0.1.jrt.tar.gz`]).toEqual(['remove', 'older than the 1 newest of java-17']);
    expect(d[`${A}/java-17-17.0.0.jrt.tar.gz`]?.[0]).toBe('remove');
    expect(d[`${A}/node-18-18.jrt.tar.gz`]?.[0]).toBe('keep');
    expect(d[`${A}/junk.jrt.tar.gz`]).toEqual(['keep', 'not a readable artifact']);
  });
  it('keep_artifacts = 2 keeps two', () => {
    const d = decisions(planGc(snapshot({ artifacts }), { ...GC_DEFAULTS, keepArtifacts: 2 }).items);
    expect(d[`${A}/java-17-17.0.1.jrt.tar.gz`]?.[0]).toBe('keep');
    expect(d[`${A}/java-17-17.0.0.jrt.tar.gz`]?.[0]).toBe('remove');
  });
  it('keeps all of a runtime an install holds the lock of', () => {
    const s = snapshot({ artifacts, installing: [{ name: 'java-17', pid: LIVE }] });
    expect(action(s, `${A}/java-17-17.0.0.jrt.tar.gz`)).toBe('keep');
  });
});

describe('planGc: base roots', () => {
  const D = '/c/bases';
  const bases = [
    entry(D, 'bookworm@deb.debian.org_debian.tar'),
    entry(D, 'trixie@deb.debian.org_debian.tar'),
    entry(D, 'bookworm@old.mirror_debian.tar'),
    entry(D, `trixie@deb.debian.org_debian.tar.part-${DEAD}.tmp`),
    entry(D, `trixie@deb.debian.org_debian.tar.part-${LIVE}.tmp`),
    entry(D, 'something-else'),
  ];
  const used = 'bookworm+security+updates@deb.debian.org_debian+deb.debian.org_debian-security.tar';
  const recipes = { dir: '/r', blobs: new Set<string>(), bases: new Set([used]), problems: [] };
  const all = [...bases, entry(D, used)];
  it('keeps the bases the recipes build on, removes the others (suite, pockets or mirror) and dead partials', () => {
    const d = decisions(planGc(snapshot({ bases: all, recipes }), GC_DEFAULTS).items);
    const unused = ['remove', 'no recipe in /r builds on it (suite, pockets, mirrors)'];
    expect(d).toEqual({
      [`${D}/${used}`]: ['keep', 'a recipe in /r builds on it'],
      [`${D}/bookworm@deb.debian.org_debian.tar`]: unused,
      [`${D}/trixie@deb.debian.org_debian.tar`]: unused,
      [`${D}/bookworm@old.mirror_debian.tar`]: unused,
      [`${D}/trixie@deb.debian.org_debian.tar.part-${DEAD}.tmp`]: [
        'remove',
        `partial base root of pid ${DEAD}, which is gone`,
      ],
      [`${D}/trixie@deb.debian.org_debian.tar.part-${LIVE}.tmp`]: ['keep', `being made by pid ${LIVE}`],
      [`${D}/something-else`]: ['keep', 'not a name jrt gives a base root'],
    });
  });
  it("without the host's mirrors (a problem), no base is removed", () => {
    const unknown = {
      ...recipes,
      bases: new Set<string>(),
      problems: ["the host's Debian mirrors could not be read"],
    };
    expect(action(snapshot({ bases: all, recipes: unknown }), `${D}/bookworm@old.mirror_debian.tar`)).toBe(
      'keep',
    );
  });
});

describe('planGc: temp trees', () => {
  const T = '/c/tmp';
  it('removes build dirs of dead builds only, never one with a mount below it', () => {
    const temp = [
      entry(T, `build-${DEAD}-0011aabb`),
      entry(T, `build-${LIVE}-0011aabb`),
      entry(T, `build-${DEAD + 1}-0011aabb`),
      entry(T, 'other'),
    ];
    const d = decisions(
      planGc(snapshot({ temp, mounts: [`${T}/build-${DEAD + 1}-0011aabb/root/proc`] }), GC_DEFAULTS).items,
    );
    expect(d[`${T}/build-${DEAD}-0011aabb`]).toEqual(['remove', `build pid ${DEAD} is gone`]);
    expect(d[`${T}/build-${LIVE}-0011aabb`]).toEqual(['keep', `build pid ${LIVE} is running`]);
    expect(d[`${T}/build-${DEAD + 1}-0011aabb`]?.[1]).toMatch(/is mounted below it$/);
    expect(d[`${T}/other`]?.[0]).toBe('keep');
  });
});

describe('planGc: old versions', () => {
  const V = '/root/java/.jrt';
  const v = (n: string) => ({ ...entry(V, n), language: 'java', runtime: n.split('@')[0] as string });
  const versionDirs = [v('java-17@aaaaaaaaaaaa'), v('java-17@bbbbbbbbbbbb'), v('java-21@cccccccccccc')];
  const runtimes = [
    {
      language: 'java',
      name: 'java-17',
      path: '/root/java/java-17',
      current: `${V}/java-17@bbbbbbbbbbbb`,
      switchedAtMs: NOW - DAY,
    },
  ];
  it('removes a version nothing points at and no job uses; keeps the current one', () => {
    const d = decisions(planGc(snapshot({ versionDirs, runtimes }), GC_DEFAULTS).items);
    expect(d[`${V}/java-17@aaaaaaaaaaaa`]?.[0]).toBe('remove');
    expect(d[`${V}/java-17@bbbbbbbbbbbb`]).toEqual(['keep', 'the current version of java-17']);
    expect(d[`${V}/java-21@cccccccccccc`]?.[0]).toBe('remove');
  });
  it('keeps a version a running job uses (a path inside it, or the name it recorded)', () => {
    const inside = snapshot({
      versionDirs,
      runtimes,
      jobs: [{ pid: LIVE, runtime: 'java-17', runtimeDir: `${V}/java-17@aaaaaaaaaaaa/rootfs` }],
    });
    expect(decisions(planGc(inside, GC_DEFAULTS).items)[`${V}/java-17@aaaaaaaaaaaa`]).toEqual([
      'keep',
      `running job pid ${LIVE} uses it`,
    ]);
    const byName = snapshot({
      versionDirs,
      runtimes,
      jobs: [{ pid: LIVE, runtime: 'java-17', runtimeDir: '/root/java/java-17' }],
    });
    expect(action(byName, `${V}/java-17@aaaaaaaaaaaa`)).toBe('keep');
    // A prefix of the name is not inside it.
    const prefix = snapshot({
      versionDirs,
      runtimes,
      jobs: [{ pid: LIVE, runtime: 'x', runtimeDir: `${V}/java-17@aaaaaaaaaaaab` }],
    });
    expect(action(prefix, `${V}/java-17@aaaaaaaaaaaa`)).toBe('remove');
  });
  it('keeps every version of a runtime being installed', () => {
    const s = snapshot({ versionDirs, runtimes, installing: [{ name: 'java-21', pid: LIVE }] });
    expect(action(s, `${V}/java-21@cccccccccccc`)).toBe('keep');
    expect(action(s, `${V}/java-17@aaaaaaaaaaaa`)).toBe('remove');
  });
  it('keeps old versions of a name switched within version_grace', () => {
    const s = snapshot({
      versionDirs,
      runtimes: [{ ...(runtimes[0] as (typeof runtimes)[0]), switchedAtMs: NOW - 5000 }],
    });
    expect(planGc(s, GC_DEFAULTS).items.find((i) => i.path === `${V}/java-17@aaaaaaaaaaaa`)?.reason).toBe(
      'java-17 switched 5 s ago: a job may be starting on it',
    );
    expect(action(s, `${V}/java-17@aaaaaaaaaaaa`)).toBe('keep');
    expect(
      planGc(s, { ...GC_DEFAULTS, versionGraceMs: 0 }).items.find(
        (i) => i.path === `${V}/java-17@aaaaaaaaaaaa`,
      )?.action,
    ).toBe('remove');
  });
  it('never removes a version with a mount below it', () => {
    const s = snapshot({ versionDirs, runtimes, mounts: [`${V}/java-21@cccccccccccc/rootfs/usr`] });
    expect(action(s, `${V}/java-21@cccccccccccc`)).toBe('keep');
  });
});

describe('planGc: logs and job records', () => {
  const L = '/log';
  it('removes build logs and rotated job records past log_max_age; rotates a large jobs.jsonl', () => {
    const logs = [
      entry(L, 'build-java-17-2026-10-01T00-00-00-000Z.log', 100, NOW - 40 * DAY),
      entry(L, 'build-java-17-2026-12-01T00-00-00-000Z.log', 100, NOW - DAY),
      entry(L, 'jobs-20261001T000000000Z-1-0.jsonl', 100, NOW - 40 * DAY),
      entry(L, 'jobs-20261130T000000000Z-1-0.jsonl', 100, NOW - 2 * DAY),
      entry(L, 'jobs.jsonl', 100 * 1024 ** 2, NOW),
      entry(L, 'notes.txt', 100, NOW - 400 * DAY),
    ];
    const plan = planGc(snapshot({ logs }), GC_DEFAULTS);
    expect(plan.items.map((i) => [i.kind, i.action])).toEqual([
      ['log', 'remove'],
      ['log', 'keep'],
      ['job-records', 'remove'],
      ['job-records', 'keep'],
      ['job-records', 'rotate'],
      ['log', 'keep'],
    ]);
    expect(plan.freed).toBe(200);
    // log_max_size: the newest kept within it, the older ones past it go (the current jobs.jsonl never).
    const capped = planGc(snapshot({ logs }), { ...GC_DEFAULTS, logMaxBytes: 150 });
    expect(capped.items.map((i) => [i.path.slice(L.length + 1), i.action])).toEqual([
      ['build-java-17-2026-10-01T00-00-00-000Z.log', 'remove'],
      ['build-java-17-2026-12-01T00-00-00-000Z.log', 'keep'],
      ['jobs-20261001T000000000Z-1-0.jsonl', 'remove'],
      ['jobs-20261130T000000000Z-1-0.jsonl', 'remove'],
      ['jobs.jsonl', 'rotate'],
      ['notes.txt', 'keep'],
    ]);
    expect(capped.items.find((i) => i.path === `${L}/jobs-20261130T000000000Z-1-0.jsonl`)?.reason).toBe(
      'past log_max_size (150 bytes), oldest first',
    );
    const small = planGc(snapshot({ logs }), { ...GC_DEFAULTS, jobsRotateBytes: 1024 ** 3 });
    expect(small.items.find((i) => i.path === `${L}/jobs.jsonl`)?.action).toBe('keep');
  });
});

describe('planGc: volume debris', () => {
  it('removes a volume a dead jrt volume remove had renamed aside; never a volume itself', () => {
    const V = '/state/volumes';
    const volumeDebris = [
      entry(V, `.removing-${DEAD}-data`),
      entry(V, `.removing-${LIVE}-data`),
      entry(V, '.removing-x'),
    ];
    const d = decisions(planGc(snapshot({ volumeDebris }), GC_DEFAULTS).items);
    expect(d).toEqual({
      [`${V}/.removing-${DEAD}-data`]: ['remove', `left by jrt volume remove of pid ${DEAD}, which is gone`],
      [`${V}/.removing-${LIVE}-data`]: ['keep', `being removed by pid ${LIVE}`],
      [`${V}/.removing-x`]: ['keep', 'not a name jrt gives a volume being removed'],
    });
  });
});
