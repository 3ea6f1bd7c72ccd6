import { describe, expect, it } from 'vitest';
import { keyedValue, parseProcCgroup } from '../../../src/runner/cgroups.js';
import {
  formatBytes,
  parseCpus,
  parseCpuset,
  parseDuration,
  parsePids,
  parseSize,
} from '../../../src/runner/limits.js';

describe('parseSize', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['64M', 64 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['512MB', 512 * 1024 ** 2],
    ['64MiB', 64 * 1024 ** 2],
    ['65536k', 64 * 1024 ** 2],
    ['2097152', 2 * 1024 ** 2],
  ])('%s', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
  it.each(['', 'm', '12x', '-5m', '1k', 'lots'])('rejects %j', (text) => {
    expect(() => parseSize(text)).toThrow(
      expect.objectContaining({ code: 'ERR_JRT_BAD_LIMIT', exitCode: 2 }),
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['45', 45_000],
    ['1.5s', 1500],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', '0', '0s', '10d', 's', '-1s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'ERR_JRT_BAD_LIMIT' }));
  });
});

describe('cpus, cpuset, pids', () => {
  it.each([
    ['1.5', 1.5],
    ['2', 2],
    ['0.25', 0.25],
  ])('--cpus %s', (t, n) => {
    expect(parseCpus(t, 2)).toBe(n);
  });
  it.each(['3', '0', '-1', 'x', '1e3'])('--cpus rejects %s on 2 CPUs', (t) => {
    expect(() => parseCpus(t, 2)).toThrow(expect.objectContaining({ code: 'ERR_JRT_BAD_LIMIT' }));
  });
  it.each(['0', '0-1', '1', '0,1'])('--cpuset %s', (t) => {
    expect(parseCpuset(t, 2)).toBe(t);
  });
  it.each(['2', '0-2', 'a', '0-', ''])('--cpuset rejects %s on 2 CPUs', (t) => {
    expect(() => parseCpuset(t, 2)).toThrow(expect.objectContaining({ code: 'ERR_JRT_BAD_LIMIT' }));
  });
  it('--pids', () => {
    expect(parsePids('100')).toBe(100);
    expect(() => parsePids('0')).toThrow();
    expect(() => parsePids('1.5')).toThrow();
  });
  it('formatBytes', () => {
    expect(formatBytes(64 * 1024 ** 2)).toBe('64 MiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GiB');
  });
});

describe('cgroup files', () => {
  it('parses /proc/self/cgroup of a hybrid host', () => {
    const map = parseProcCgroup(
      '9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/user.slice\n',
    );
    expect(map.get('memory')).toBe('/process_api/abc');
    expect(map.get('cpu')).toBe('/x');
    expect(map.get('cpuacct')).toBe('/x');
    expect(map.get('')).toBe('/user.slice');
  });
  it('reads keyed values', () => {
    const oomControl = 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n';
    expect(keyedValue(oomControl, 'oom_kill')).toBe(2);
    expect(keyedValue('low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n', 'max')).toBe(3);
    expect(keyedValue(undefined, 'max')).toBeUndefined();
  });
});
