/** "Did you mean": one implementation for recipes, install selection, runtime specs and recipe keys. */
import { describe, expect, it } from 'vitest';
import { closeNames, closestNames, editDistance, spellingKey } from '../../../src/core/suggest.js';

describe('spellings', () => {
  it('editDistance counts edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
  it('normalizes case, separators and vendor words', () => {
    expect(spellingKey('OpenJDK-21')).toBe('java21');
    expect(spellingKey('python:3.11+ml')).toBe('python311ml');
    expect(spellingKey('java-21-runtime')).toBe('java21');
    expect(spellingKey('jdk')).toBe('java');
    expect(spellingKey('jdkx-1')).toBe('jdkx1');
    expect(spellingKey('nodejs')).toBe('node');
  });
  it('closeNames orders by distance and keeps at most five', () => {
    expect(closeNames('java-12', ['java-17', 'java-11', 'java-21', 'node-18'])).toEqual([
      'java-11',
      'java-17',
      'java-21',
    ]);
    expect(closeNames('x', ['java-17'])).toEqual([]);
    expect(closeNames('nod-18', ['node-18', 'java-17'])).toEqual(['node-18']);
    expect(closeNames('zzz', ['node-18'])).toEqual([]);
    expect(closeNames('ab', ['af', 'ae', 'ad', 'ac', 'ab', 'aa'])).toEqual(['ab', 'aa', 'ac', 'ad', 'ae']);
  });
  it('closeNames counts a name that contains the other as near, from three characters on', () => {
    expect(closeNames('python', ['python-3.11-ml', 'node-18'])).toEqual(['python-3.11-ml']);
    expect(closeNames('py', ['python-3.11-ml'])).toEqual([]);
  });
  it('closestNames compares aliases and answers with names, once each', () => {
    const things = [
      { name: 'java-17', aliases: ['openjdk-17', 'jdk17'] },
      { name: 'java-21', aliases: [] },
      { name: 'node-18', aliases: ['node18'] },
    ];
    expect(closestNames('openjdk-71', things)).toEqual(['java-21', 'java-17']);
    expect(closestNames('jdk-17', things)).toEqual(['java-17', 'java-21']);
    expect(closestNames('java:2', things)).toEqual(['java-21', 'java-17']);
    expect(closestNames('ruby', things)).toEqual([]);
  });
});
