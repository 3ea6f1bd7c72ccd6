import { describe, expect, it } from 'vitest';
import { runtimeUsage, uniqueBytes } from '../../../src/disk/usage.js';

const i = (key: string, bytes: number) => ({ key, bytes });

describe('uniqueBytes', () => {
  it('counts each inode once, as du does with hard links', () => {
    expect(uniqueBytes([i('1:1', 4096), i('1:2', 8192), i('1:1', 4096)])).toBe(12288);
    expect(uniqueBytes([])).toBe(0);
  });
});

describe('runtimeUsage', () => {
  it('splits a runtime into bytes it alone has and bytes hard-linked with others', () => {
    const u = runtimeUsage(
      new Map([
        ['java-17', [i('1:1', 4096), i('1:2', 1000 * 4096), i('1:3', 4096)]],
        ['java-21', [i('1:4', 4096), i('1:2', 1000 * 4096), i('1:5', 8192)]],
        ['node-18', [i('1:6', 4096), i('1:6', 4096)]],
      ]),
    );
    expect(u.get('java-17')).toEqual({ bytes: 1002 * 4096, unique: 8192, shared: 1000 * 4096 });
    expect(u.get('java-21')).toEqual({ bytes: 1003 * 4096, unique: 3 * 4096, shared: 1000 * 4096 });
    // Hard links within one runtime are not shared with another.
    expect(u.get('node-18')).toEqual({ bytes: 4096, unique: 4096, shared: 0 });
  });
});
