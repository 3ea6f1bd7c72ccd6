import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveRuntimeJson,
  firstDifference,
  trustedRuntimeJson,
  YML_DIGEST_KEY,
} from '../../../src/core/runtime-identity.js';

const YML = {
  name: 'java-17',
  language: 'java',
  version: '17',
  aliases: ['openjdk-17'],
  mounts: [{ source: 'rootfs/usr', target: '/usr' }],
};
const SHA = createHash('sha256').update('the yml bytes').digest('hex');

describe('deriveRuntimeJson / trustedRuntimeJson', () => {
  it('stamps the yml content with the digest, and reads it back only for that digest', () => {
    const json = JSON.parse(deriveRuntimeJson(YML, SHA).toString('utf8'));
    expect(json).toEqual({ ...YML, [YML_DIGEST_KEY]: SHA });
    expect(trustedRuntimeJson(json, SHA)).toEqual(YML);
    expect(
      trustedRuntimeJson(
        json,
        SHA.replace(/^./, (c) => (c === '0' ? '1' : '0')),
      ),
    ).toBeUndefined();
  });

  it.each([
    ['no stamp', YML],
    ['a stamp that is not a string', { ...YML, [YML_DIGEST_KEY]: 1 }],
    ['an array', [YML]],
    ['null', null],
    ['text', 'java'],
  ])('does not trust %s', (_what, doc) => {
    expect(trustedRuntimeJson(doc, SHA)).toBeUndefined();
  });

  it('is the same bytes for the same input, ending in a newline', () => {
    expect(deriveRuntimeJson(YML, SHA).equals(deriveRuntimeJson({ ...YML }, SHA))).toBe(true);
    expect(deriveRuntimeJson(YML, SHA).toString().endsWith('}\n')).toBe(true);
  });
});

describe('firstDifference', () => {
  it.each<[string, unknown, unknown, string, unknown, unknown]>([
    ['language', { ...YML, language: 'python' }, YML, 'language', 'python', 'java'],
    [
      'an extra alias',
      { ...YML, aliases: ['openjdk-17', 'java-17'] },
      YML,
      'aliases[1]',
      'java-17',
      undefined,
    ],
    ['a field runtime.yml lacks', { ...YML, tags: ['ml'] }, YML, 'tags', ['ml'], undefined],
    [
      'a field runtime.json lacks',
      { name: 'java-17' },
      { name: 'java-17', version: '17' },
      'version',
      undefined,
      '17',
    ],
    [
      'a nested value',
      { ...YML, mounts: [{ source: 'rootfs', target: '/usr' }] },
      YML,
      'mounts[0].source',
      'rootfs',
      'rootfs/usr',
    ],
    ['a number for a string', { ...YML, version: 17 }, YML, 'version', 17, '17'],
    ['a list for a mapping', [], YML, '(the whole document)', [], YML],
  ])('finds %s', (_what, json, yml, at, jv, yv) => {
    expect(firstDifference(json, yml)).toEqual({ at, json: jv, yml: yv });
  });

  it('agrees whatever the key order, and ignores the stamp', () => {
    const reordered = Object.fromEntries(Object.entries(YML).reverse());
    expect(firstDifference({ ...reordered, [YML_DIGEST_KEY]: SHA }, YML)).toBeUndefined();
  });
});
