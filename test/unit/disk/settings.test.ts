import { describe, expect, it } from 'vitest';
import { GC_DEFAULTS, parseGcConfig } from '../../../src/disk/settings.js';

describe('parseGcConfig', () => {
  it('takes every key over the defaults, with comments and blank lines', () => {
    const text = [
      '# retention',
      'keep_artifacts = 3',
      'log_max_age = 7d   # a week',
      'log_max_size = 200m',
      '',
      'jobs_rotate_size = 16m',
      'version_grace=2m',
      'min_free = 15%',
      'usage_warn = 80%',
    ].join('\n');
    expect(parseGcConfig('/etc/jrt/gc.conf', text)).toEqual({
      keepArtifacts: 3,
      logMaxAgeMs: 7 * 86_400_000,
      logMaxBytes: 200 * 1024 ** 2,
      jobsRotateBytes: 16 * 1024 ** 2,
      versionGraceMs: 120_000,
      minFreePercent: 15,
      usageWarnPercent: 80,
    });
    expect(parseGcConfig('f', '')).toEqual(GC_DEFAULTS);
  });
  it.each([
    ['keep = 1', "f:1: unknown key 'keep'"],
    ['keep_artifacts 1', "f:1: expected 'key = value'"],
    ['keep_artifacts = -1', "f:1: keep_artifacts = '-1' is not valid"],
    ['log_max_age = 30', "f:1: log_max_age = '30' is not valid"],
    ['min_free = 101%', "f:1: min_free = '101%' is not valid"],
    ['jobs_rotate_size = 1x', "f:1: jobs_rotate_size = '1x' is not valid"],
    ['keep_artifacts = 1\nkeep_artifacts = 2', "f:2: 'keep_artifacts' is set again (first at f:1)"],
  ])('refuses %j', (text, message) => {
    expect(() => parseGcConfig('f', text)).toThrow(
      expect.objectContaining({ code: 'ERR_JRT_CONFIG_INVALID', exitCode: 2 }),
    );
    expect(() => parseGcConfig('f', text)).toThrow(message);
  });
});
