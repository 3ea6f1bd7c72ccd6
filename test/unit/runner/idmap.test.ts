import { describe, expect, it } from 'vitest';
import { attachJobFds, FIRST_JOB_FD, planIdmap } from '../../../src/runner/idmap.js';

describe('planIdmap', () => {
  it("numbers each source, then each mount the helper leaves, past bwrap's own descriptors", () => {
    const plan = planIdmap(
      [
        { fd: 21, owner: { uid: 0, gid: 0 } },
        { fd: 22, owner: { uid: 1000, gid: 100 }, readonly: true },
      ],
      { uid: 1879048200, gid: 1879048200 },
      '/var/lib/jrt/mnt',
    );
    expect(FIRST_JOB_FD).toBe(8);
    expect([...plan.inherit]).toEqual([
      [8, 21],
      [9, 22],
    ]);
    expect(plan.bindFds).toEqual([10, 11]);
    expect(plan.args).toEqual([
      '/var/lib/jrt/mnt',
      '1879048200:1879048200',
      '8:0:0:1879048200:1879048200:10',
      '9:1000:100:1879048200:1879048200:11:ro',
    ]);
  });
});

describe('attachJobFds', () => {
  it('job files come first (copied in by bwrap), then the working directory, then volumes', () => {
    type Entry = { hostPath: string; target: string; fd?: number };
    const job: { workdirFd?: number; volumes: Entry[]; files: Entry[] } = {
      volumes: [{ hostPath: '/v', target: '/data' }],
      files: [{ hostPath: '/f/Main.java', target: '/job/Main.java' }],
    };
    const r = attachJobFds(
      job,
      [
        { fd: 30, owner: { uid: 0, gid: 0 } },
        { fd: 31, owner: { uid: 0, gid: 0 } },
      ],
      [40],
      { uid: 5, gid: 5 },
      '/m',
    );
    expect(r.job.files[0]?.fd).toBe(8);
    expect(r.job.workdirFd).toBe(11);
    expect(r.job.volumes[0]?.fd).toBe(12);
    expect([...r.inherit].sort((a, b) => a[0] - b[0])).toEqual([
      [8, 40],
      [9, 30],
      [10, 31],
    ]);
    expect(r.helperArgs).toEqual(['/m', '5:5', '9:0:0:5:5:11', '10:0:0:5:5:12']);
  });
});
