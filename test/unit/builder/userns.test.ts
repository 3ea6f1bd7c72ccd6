import { describe, expect, it } from 'vitest';
import { BUILD_ID_BASE, BUILD_ID_COUNT, buildEnv, inBuildUserns } from '../../../src/builder/userns.js';
import { JOB_UID_BASE, JOB_UID_COUNT } from '../../../src/runner/job-uid.js';

describe("the build's user namespace", () => {
  it('maps ids 0..65535 to a range that holds neither host root nor a job uid', () => {
    expect(BUILD_ID_COUNT).toBe(65536);
    expect(BUILD_ID_BASE).toBeGreaterThan(0);
    const overlaps =
      BUILD_ID_BASE < JOB_UID_BASE + JOB_UID_COUNT && JOB_UID_BASE < BUILD_ID_BASE + BUILD_ID_COUNT;
    expect(overlaps).toBe(false);
    // Below systemd's foreign range (0x7FFE0000) and within 32 bits minus the invalid (uid_t)-1.
    expect(BUILD_ID_BASE + BUILD_ID_COUNT).toBeLessThanOrEqual(0x7ffe0000);
  });

  it('runs the command behind the helper with the range as uid, gid and count', () => {
    expect(inBuildUserns(['bwrap', '--', 'sh'], '/x/jrt-userns')).toEqual([
      '/x/jrt-userns',
      String(BUILD_ID_BASE),
      String(BUILD_ID_BASE),
      '65536',
      '--',
      'bwrap',
      '--',
      'sh',
    ]);
  });
});

describe('buildEnv', () => {
  const caller = { PATH: '/home/u/bin:/usr/bin', AWS_SECRET_ACCESS_KEY: 'x', https_proxy: 'http://p:3128' };

  it("passes nothing of the caller's environment into the namespace", () => {
    expect(buildEnv({ proxy: false }, caller)).toEqual({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
  });

  it('gives the proxy settings only to what downloads, with its own variables', () => {
    expect(buildEnv({ proxy: true, env: { TMPDIR: '/t' } }, caller)).toEqual({
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      TMPDIR: '/t',
      https_proxy: 'http://p:3128',
    });
  });
});
