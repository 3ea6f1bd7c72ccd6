/**
 * Reaching a job without cgroups through its pid namespace: bwrap's status document, and which
 * processes of a /proc-like tree belong to the sandbox (the kernel's side is in the integration tests).
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { needsCgroup } from '../../../src/runner/cgroups.js';
import { parseSandboxInit, pidsInSandbox } from '../../../src/runner/pidns.js';

describe('parseSandboxInit', () => {
  it('reads child-pid and pid-namespace from what bwrap wrote so far', () => {
    const status =
      '{ "child-pid": 20146, "cgroup-namespace": 4026532334, "ipc-namespace": 4026532325, "pid-namespace": 4026532329 }\n';
    expect(parseSandboxInit(status)).toEqual({ pid: 20146, pidNs: 4026532329 });
    expect(parseSandboxInit(`${status}{ "exit-code": 0 }\n`)).toEqual({ pid: 20146, pidNs: 4026532329 });
  });
  it('is undefined before bwrap has reported its child', () => {
    expect(parseSandboxInit('')).toBeUndefined();
    expect(parseSandboxInit('{ "child-pid": 12')).toBeUndefined();
  });
});

describe('pidsInSandbox', () => {
  let proc: string;
  beforeEach(async () => {
    proc = await mkdtemp(path.join(os.tmpdir(), 'jrt-proc-'));
    const ns: [string, string][] = [
      ['100', 'pid:[7]'],
      ['101', 'pid:[7]'],
      ['102', 'pid:[8]'],
      ['103', 'pid:[7]'],
    ];
    for (const [pid, link] of ns) {
      await mkdir(path.join(proc, pid, 'ns'), { recursive: true });
      await symlink(link, path.join(proc, pid, 'ns', 'pid'));
    }
    await mkdir(path.join(proc, 'self'));
  });
  afterEach(() => rm(proc, { recursive: true, force: true }));

  it('lists every process in the init namespace, the init included', () => {
    expect(pidsInSandbox({ pid: 100, pidNs: 7 }, proc).sort()).toEqual([100, 101, 103]);
  });
  it('lists nothing when the pid is no longer that namespace init (gone, or reused)', () => {
    expect(pidsInSandbox({ pid: 102, pidNs: 7 }, proc)).toEqual([]);
    expect(pidsInSandbox({ pid: 999, pidNs: 7 }, proc)).toEqual([]);
  });
});

describe('needsCgroup', () => {
  it.each([
    [{}, false],
    [{ timeoutMs: 1000 }, false],
    [{ memoryBytes: 64 * 1024 ** 2 }, true],
    [{ pids: 10 }, true],
    [{ cpus: 0.5 }, true],
    [{ cpuset: '0' }, true],
  ])('%j → %s', (limits, want) => {
    expect(needsCgroup(limits)).toBe(want);
  });
});
