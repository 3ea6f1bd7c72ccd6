/**
 * Before an install builds anything: can this host reach every input of the recipe that is not
 * already in the cache? A recipe whose upstream is unreachable (python-3.12 from python.org on a
 * host with only a Debian mirror) is reported up front instead of failing half-way.
 */

import { archivesOf } from '../builder/archives.js';
import { createBlobStore } from '../builder/blobs.js';
import { expandSourceUrl } from '../builder/sources.js';
import { hostDebianMirror, hostDebianSecurityMirror, hostNpmRegistry } from '../core/host-sources.js';
import { probe } from '../core/http.js';
import type { Recipe } from '../recipe/types.js';

export type Prober = (url: string) => Promise<boolean>;

/** One probe per origin: a host that answers anything (even 404) is reachable. */
export function originProber(timeoutMs = 4000): Prober {
  const seen = new Map<string, Promise<boolean>>();
  return (url) => {
    const origin = new URL(url).origin;
    let answer = seen.get(origin);
    if (!answer) {
      answer = probe(url, timeoutMs).then((r) => r.ok);
      seen.set(origin, answer);
    }
    return answer;
  };
}

/** The URLs of `recipe`'s inputs that are neither cached nor reachable. */
export async function unreachableInputs(
  recipe: Recipe,
  cacheDir: string,
  reachable: Prober,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const [mirror, security, registry] = await Promise.all([
    hostDebianMirror(env),
    hostDebianSecurityMirror(env),
    hostNpmRegistry(env),
  ]);
  const blobs = createBlobStore(cacheDir);
  const wanted: string[] = archivesOf(recipe.base, recipe.pockets, { debian: mirror, security }).map(
    (a) => `${a.mirror}/dists/${a.dist}/Release`,
  );
  for (const s of recipe.sources) {
    if (s.kind === 'url' && !(await blobs.has(s.sha256)))
      wanted.push(expandSourceUrl(s.url, { mirror, registry }));
    if (s.kind === 'npm') wanted.push(`${registry}/${s.package.replace('/', '%2f')}`);
  }
  const out: string[] = [];
  for (const url of wanted) if (!(await reachable(url))) out.push(url);
  return out;
}
