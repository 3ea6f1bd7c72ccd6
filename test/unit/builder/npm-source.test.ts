import { describe, expect, it } from 'vitest';
import { lockedTarballUrl, tarballUrlProblem } from '../../../src/builder/npm-source.js';

const REGISTRY = 'https://registry.npmjs.org';

describe('tarballUrlProblem: tarballs come from the registry or a host the recipe allows', () => {
  it.each<[string, string, string[], RegExp | undefined]>([
    ['the registry itself', `${REGISTRY}/npm/-/npm-10.9.9.tgz`, [], undefined],
    ['an http registry (a private one) serving http', 'http://10.0.0.5:4873/x/-/x-1.0.0.tgz', [], undefined],
    ['another host', 'https://evil.example/x.tgz', [], /evil\.example is not the registry's host/],
    ['the metadata service', 'http://169.254.169.254/latest/meta-data', [], /169\.254\.169\.254 is not/],
    [
      'the same host on another port',
      'https://registry.npmjs.org:8443/x.tgz',
      [],
      /registry\.npmjs\.org:8443 is not/,
    ],
    [
      'the registry over plain http',
      'http://registry.npmjs.org/x.tgz',
      [],
      /not at its origin https:\/\/registry\.npmjs\.org$/,
    ],
    ['an allowed CDN', 'https://cdn.example.org/x.tgz', ['cdn.example.org'], undefined],
    ['an allowed CDN over http', 'http://cdn.example.org/x.tgz', ['cdn.example.org'], /must be https/],
    ['credentials in the URL', 'https://u:p@registry.npmjs.org/x.tgz', [], /carries credentials/],
    ['a file URL', 'file:///etc/shadow', [], /not an http\(s\) URL/],
    ['not a URL', 'npm/-/x.tgz', [], /not a URL/],
  ])('%s', (_what, url, hosts, want) => {
    const registry = url.startsWith('http://10.0.0.5') ? 'http://10.0.0.5:4873' : REGISTRY;
    const got = tarballUrlProblem(url, registry, hosts);
    if (want) expect(got).toMatch(want);
    else expect(got).toBeUndefined();
  });

  it('a locked tarball path is below the registry; an absolute one is taken as it is (and checked)', () => {
    expect(lockedTarballUrl({ tarball: 'npm/-/npm-10.9.9.tgz' }, REGISTRY)).toBe(
      `${REGISTRY}/npm/-/npm-10.9.9.tgz`,
    );
    expect(lockedTarballUrl({ tarball: 'https://evil.example/x.tgz' }, REGISTRY)).toBe(
      'https://evil.example/x.tgz',
    );
  });
});
