import { describe, expect, it } from 'vitest';
import { parseRelease } from '../../../src/builder/debian-index.js';

const HEX = (c: string) => c.repeat(64);
const RELEASE = `Origin: Debian
Suite: oldstable
Codename: bookworm
Date: Sat, 11 Jul 2026 10:16:37 UTC
Acquire-By-Hash: yes
MD5Sum:
 f230d61720e789abf5df55d6026230c6 50060337 main/binary-amd64/Packages
SHA256:
 ${HEX('a')} 50060337 main/binary-amd64/Packages
 ${HEX('b')}  8790396 main/binary-amd64/Packages.xz
`;

describe('parseRelease', () => {
  it('reads the SHA256 list (not the MD5 one), the date and by-hash, for the suite or its codename', () => {
    for (const suite of ['bookworm', 'oldstable']) {
      const r = parseRelease(RELEASE, suite);
      if ('problem' in r) throw new Error(r.problem);
      expect(r.files.get('main/binary-amd64/Packages')).toEqual({ sha256: HEX('a'), size: 50060337 });
      expect(r.files.get('main/binary-amd64/Packages.xz')).toEqual({ sha256: HEX('b'), size: 8790396 });
      expect(r.date).toBe('Sat, 11 Jul 2026 10:16:37 UTC');
      expect(r.byHash).toBe(true);
    }
  });

  it("refuses another suite's index served under this suite's name", () => {
    expect(parseRelease(RELEASE.replace('Codename: bookworm', 'Codename: sid'), 'bookworm')).toEqual({
      problem: 'it is the index of sid, not of bookworm',
    });
  });
});
