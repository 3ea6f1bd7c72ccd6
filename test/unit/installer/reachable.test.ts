import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unreachableInputs } from '../../../src/installer/reachable.js';
import type { Recipe } from '../../../src/recipe/types.js';
import { tempDirSync } from '../../helpers/temp.js';

const env = { JRT_DEBIAN_MIRROR: 'http://mirror.test/debian', JRT_NPM_REGISTRY: 'https://registry.test' };
const SHA = 'a'.repeat(64);

function recipe(sources: Recipe['sources']): Recipe {
  return { base: 'bookworm', pockets: ['security', 'updates'], sources } as Recipe;
}

describe('unreachableInputs', () => {
  const cache = tempDirSync('jrt-reach-');
  const asked: string[] = [];
  const onlyMirror = async (url: string) => {
    asked.push(url);
    return url.startsWith('http://mirror.test/');
  };

  it('names the sources this host cannot reach, with $DEBIAN_MIRROR expanded', async () => {
    const r = recipe([
      {
        kind: 'url',
        url: 'https://www.python.org/ftp/python/3.12.1/Python-3.12.1.tar.xz',
        sha256: SHA,
        dest: '/src',
      },
      { kind: 'url', url: '$DEBIAN_MIRROR/pool/main/p/x.tar.gz', sha256: 'b'.repeat(64), dest: '/src' },
      { kind: 'npm', package: '@scope/pkg', version: '1.0.0', dest: '/opt' },
    ]);
    expect(await unreachableInputs(r, cache, onlyMirror, env)).toEqual([
      'https://www.python.org/ftp/python/3.12.1/Python-3.12.1.tar.xz',
      'https://registry.test/@scope%2fpkg',
    ]);
    expect(asked).toContain('http://mirror.test/debian/dists/bookworm/Release');
    // The pockets' indexes too, security from the mirror's debian-security sibling.
    expect(asked).toContain('http://mirror.test/debian-security/dists/bookworm-security/Release');
    expect(asked).toContain('http://mirror.test/debian/dists/bookworm-updates/Release');
    expect(asked).toContain('http://mirror.test/debian/pool/main/p/x.tar.gz');
  });

  it('does not ask for a url source that is already in the cache', async () => {
    mkdirSync(path.join(cache, 'blobs/sha256'), { recursive: true });
    // A blob counts as cached only when its bytes hash to its name.
    const cached = createHash('sha256').update('cached').digest('hex');
    writeFileSync(path.join(cache, 'blobs/sha256', cached), 'cached');
    const r = recipe([{ kind: 'url', url: 'https://www.python.org/x.tar.xz', sha256: cached, dest: '/src' }]);
    expect(await unreachableInputs(r, cache, onlyMirror, env)).toEqual([]);
  });
});
