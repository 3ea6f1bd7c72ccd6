import { describe, expect, it } from 'vitest';
import { setRuntimeKeys } from '../../../src/installer/joblet-config.js';
import { noteEdit, valuesBefore } from '../../../src/installer/joblet-journal.js';
import { restoreRuntimeKeys } from '../../../src/uninstall/joblet-restore.js';

const KEYS = { enabled: true, base_path: '/opt/joblet/runtimes' };
const entryFor = (text: string, created = false) => ({
  created,
  createdDirs: [],
  ...valuesBefore(text, Object.keys(KEYS)),
});

describe("undoing jrt's edit of a Joblet config", () => {
  it.each([
    [
      'changed values, quoting and comments',
      "a: 1\nruntime:\n  enabled: false   # off\n  base_path: '/srv/old'\n  common_libs_path: /usr/lib\nz: 2\n",
    ],
    [
      'keys added to an existing runtime map',
      'runtime:\n  common_libs_path: /usr/lib\nlogging: {level: INFO}\n',
    ],
    ['a runtime block appended', 'server:\n  port: 50051\n'],
    ['a runtime block appended to a file without a final newline', 'server:\n  port: 50051'],
    ['an empty runtime key', 'runtime:\nserver: {port: 1}\n'],
  ])('%s: the exact bytes come back', (_, before) => {
    const after = setRuntimeKeys(before, KEYS);
    expect(after).not.toBe(before);
    expect(restoreRuntimeKeys(after, entryFor(before), KEYS)).toEqual({
      text: before,
      remove: false,
      kept: [],
    });
  });

  it('a file jrt created is removed; without a journal, keys holding exactly jrt values go', () => {
    const created = setRuntimeKeys('', KEYS);
    expect(restoreRuntimeKeys(created, entryFor('', true), KEYS)).toMatchObject({ text: '', remove: true });
    const old = `server:\n  port: 1\n${'runtime:\n  enabled: true\n  base_path: "/opt/joblet/runtimes"\n'}`;
    expect(restoreRuntimeKeys(old, undefined, KEYS)).toEqual({
      text: 'server:\n  port: 1\n',
      remove: false,
      kept: [],
    });
    const other = 'runtime:\n  enabled: true\n  base_path: /elsewhere\n';
    expect(restoreRuntimeKeys(other, undefined, KEYS)).toEqual({
      text: 'runtime:\n  base_path: /elsewhere\n',
      remove: false,
      kept: ['runtime.base_path: changed since jrt set it'],
    });
  });

  it("keeps the first edit's values: a second install does not overwrite what the host had", () => {
    const first = noteEdit({ version: 1, files: {} }, '/c.yml', entryFor('runtime:\n  enabled: false\n'));
    const second = noteEdit(first, '/c.yml', entryFor(setRuntimeKeys('runtime:\n  enabled: false\n', KEYS)));
    expect(second.files['/c.yml']?.before).toEqual({ enabled: 'false', base_path: null });
  });
});
