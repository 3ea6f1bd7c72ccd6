import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { setRuntimeKeys, updateJobletConfig } from '../../../src/installer/joblet-config.js';
import { REALISTIC } from '../../fixtures/joblet/config.js';
import { tempDir } from '../artifact/fixture.js';

describe('setRuntimeKeys', () => {
  it('changes only the two values in a realistic config, keeping comments, quoting and TLS blocks', () => {
    const out = setRuntimeKeys(REALISTIC, { enabled: true, base_path: '/opt/joblet/runtimes' });
    const expected = REALISTIC.replace('enabled: false', 'enabled: true').replace(
      "base_path: '/srv/old/runtimes'",
      'base_path: "/opt/joblet/runtimes"',
    );
    expect(out).toBe(expected);
    expect(parse(out).runtime).toEqual({
      enabled: true,
      base_path: '/opt/joblet/runtimes',
      common_libs_path: '/usr/lib',
    });
  });

  it('is a no-op when the keys are already right', () => {
    const once = setRuntimeKeys(REALISTIC, { enabled: true, base_path: '/x' });
    expect(setRuntimeKeys(once, { enabled: true, base_path: '/x' })).toBe(once);
  });

  it('adds missing keys inside an existing runtime block with its indentation', () => {
    const text =
      'server:\n    port: 1\nruntime:\n    common_libs_path: /usr/lib\nlogging:\n    level: INFO\n';
    const out = setRuntimeKeys(text, { enabled: true, base_path: '/r' });
    expect(out).toBe(
      'server:\n    port: 1\nruntime:\n    common_libs_path: /usr/lib\n    enabled: true\n    base_path: "/r"\nlogging:\n    level: INFO\n',
    );
  });

  it('appends a runtime block when there is none, touching nothing before it', () => {
    const text = '# c\nserver:\n  port: 1 # p';
    const out = setRuntimeKeys(text, { enabled: true, base_path: '/r' });
    expect(out).toBe('# c\nserver:\n  port: 1 # p\nruntime:\n  enabled: true\n  base_path: "/r"\n');
  });

  it('replaces an empty or flow-style runtime value, keeping other flow keys', () => {
    expect(setRuntimeKeys('runtime:\nx: 1\n', { enabled: true, base_path: '/r' })).toBe(
      'runtime:\n  enabled: true\n  base_path: "/r"\nx: 1\n',
    );
    const flow = setRuntimeKeys('runtime: {enabled: false, extra: 3}\nx: 1\n', {
      enabled: true,
      base_path: '/r',
    });
    expect(parse(flow)).toEqual({ runtime: { extra: 3, enabled: true, base_path: '/r' }, x: 1 });
  });

  it('refuses a file that is not YAML', () => {
    expect(() => setRuntimeKeys('a: [1\n', { base_path: '/r' })).toThrow(/not valid YAML/);
  });
});

describe('updateJobletConfig', () => {
  it('keeps mode 0600 and every byte outside the runtime keys; updates runtime-config.yml if present', async () => {
    const dir = path.join(await tempDir(), 'config');
    await mkdir(dir);
    const file = path.join(dir, 'joblet-config.yml');
    await writeFile(file, REALISTIC, { mode: 0o600 });
    await writeFile(path.join(dir, 'runtime-config.yml'), '# rc\nruntime:\n  base_path: /old\n', {
      mode: 0o640,
    });
    const r = await updateJobletConfig(file, '/data/runtimes');
    expect(r.map((u) => [path.basename(u.file), u.changed])).toEqual([
      ['joblet-config.yml', true],
      ['runtime-config.yml', true],
    ]);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(
      REALISTIC.replace('enabled: false', 'enabled: true').replace(
        "base_path: '/srv/old/runtimes'",
        'base_path: "/data/runtimes"',
      ),
    );
    expect((await stat(file)).mode & 0o7777).toBe(0o600);
    expect(await readFile(path.join(dir, 'runtime-config.yml'), 'utf8')).toBe(
      '# rc\nruntime:\n  base_path: "/data/runtimes"\n',
    );
    expect((await stat(path.join(dir, 'runtime-config.yml'))).mode & 0o7777).toBe(0o640);
    const again = await updateJobletConfig(file, '/data/runtimes');
    expect(again.every((u) => !u.changed)).toBe(true);
  });

  it('creates a missing file (and directory) with mode 0600', async () => {
    const file = path.join(await tempDir(), 'a', 'b', 'joblet-config.yml');
    await updateJobletConfig(file, '/r');
    expect(parse(await readFile(file, 'utf8'))).toEqual({ runtime: { enabled: true, base_path: '/r' } });
    expect((await stat(file)).mode & 0o7777).toBe(0o600);
  });
});
