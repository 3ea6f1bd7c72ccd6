import { describe, expect, it } from 'vitest';
import { refusedWorkdir } from '../../../src/runner/refused-dirs.js';

const JRT = [
  '/opt/joblet/runtimes',
  '/var/cache/jrt',
  '/var/lib/jrt',
  '/var/log/joblet/jrt',
  '/opt/joblet/config/joblet-config.yml',
];

describe('refusedWorkdir', () => {
  it.each<[string, string]>([
    ['/', "it is the host's root"],
    ['/proc', "it is the host's /proc"],
    ['/proc/1/root', "it is inside the host's /proc"],
    ['/sys/fs/cgroup', "it is inside the host's /sys"],
    ['/etc', "it is the host's /etc"],
    ['/etc/ssh', "it is inside the host's /etc"],
    ['/usr/local/src', "it is inside the host's /usr"],
    ['/run/user/1000', "it is inside the host's /run"],
    ['/var', "it holds the host's /var/run"],
    ['/opt', "it holds jrt's /opt/joblet/runtimes"],
    ['/opt/joblet', "it holds jrt's /opt/joblet/runtimes"],
    ['/opt/joblet/runtimes/java', "it is inside jrt's /opt/joblet/runtimes"],
    ['/var/lib/jrt/volumes/data', "it is inside jrt's /var/lib/jrt"],
    ['/opt/joblet/config', "it holds jrt's /opt/joblet/config/joblet-config.yml"],
  ])('%s: %s', (dir, why) => {
    expect(refusedWorkdir(dir, JRT)).toBe(why);
  });

  it.each([
    '/root',
    '/root/project',
    '/home/u/proj',
    '/srv/jobs/a',
    '/tmp/x',
    '/opt/joblet-jobs',
    '/usrdata',
    '/var/lib/other',
  ])('%s may be a working directory', (dir) => {
    expect(refusedWorkdir(dir, JRT)).toBeUndefined();
  });
});
