import { describe, expect, it } from 'vitest';
import { refusedMode, refusedWorkdir } from '../../../src/runner/refused-dirs.js';

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
    ['/var', "it is the host's /var, which holds others' files: use a directory below it"],
    ['/opt', "it is the host's /opt, which holds others' files: use a directory below it"],
    ['/root', "it is the host's /root, which holds others' files: use a directory below it"],
    ['/home', "it is the host's /home, which holds others' files: use a directory below it"],
    ['/tmp', "it is the host's /tmp, which holds others' files: use a directory below it"],
    ['/var/spool/cron', "it is inside the host's /var/spool"],
    ['/var/lib/dpkg', "it is the host's /var/lib/dpkg"],
    ['/home/u', 'it is the home directory of an account: use a project directory below it'],
    ['/opt/joblet', "it holds jrt's /opt/joblet/runtimes"],
    ['/opt/joblet/runtimes/java', "it is inside jrt's /opt/joblet/runtimes"],
    ['/var/lib/jrt/volumes/data', "it is inside jrt's /var/lib/jrt"],
    ['/opt/joblet/config', "it holds jrt's /opt/joblet/config/joblet-config.yml"],
  ])('%s: %s', (dir, why) => {
    expect(refusedWorkdir(dir, JRT, ['/root', '/home/u'])).toBe(why);
  });

  it('refuses a sticky world-writable directory, not a merely world-writable one', () => {
    expect(refusedMode('/x', 0o41777)).toContain('sticky and world-writable (mode 1777)');
    expect(refusedMode('/x', 0o40777)).toBeUndefined();
    expect(refusedMode('/x', 0o41755)).toBeUndefined();
  });

  it.each([
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
