/**
 * Locks, indexes and download servers are attacker input (issue 19). Every case runs the bundle's
 * `jrt build --locked` against a loopback mirror and registry (a signed test index, a fake cached
 * base root) and checks what jrt refused, what it never requested, and what it left on disk. An
 * accepted input gets as far as the build root, where the fake base root ends the build.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorKey } from '../../src/builder/base.js';
import type { Lock } from '../../src/builder/lock.js';
import type { Pocket } from '../../src/recipe/types.js';
import { type JrtHome, makeJrtHome, requireRoot, requireTools, runJrt } from '../helpers/jrt.js';
import {
  fakeBase,
  fakeDeb,
  lockFor,
  placeRecipe,
  publishIndex,
  recipeText,
  routedServer,
  sha256,
  signingKey,
  sri,
} from './inputs-harness.js';

let mirror: Awaited<ReturnType<typeof routedServer>>;
/** Another loopback address: "another host" for the tarball rule. */
let elsewhere: Awaited<ReturnType<typeof routedServer>>;
let archive: Awaited<ReturnType<typeof signingKey>>;
let attacker: Awaited<ReturnType<typeof signingKey>>;
const FIXTURE = fakeDeb('jrt-fixture', '1.0-1');

beforeAll(async () => {
  requireRoot('bwrap build sandboxes');
  requireTools({ gpg: 'gnupg', gpgv: 'gpgv', xz: 'xz-utils', bwrap: 'bubblewrap' });
  mirror = await routedServer('127.0.0.1');
  elsewhere = await routedServer('127.0.0.2');
  archive = await signingKey('jrt test archive');
  attacker = await signingKey('not the archive');
  publishIndex(mirror, archive, [FIXTURE, fakeDeb('netcat-traditional', '1.10-47')]);
}, 60_000);

afterAll(async () => {
  await mirror?.close();
  await elsewhere?.close();
  archive?.close();
  attacker?.close();
});

let n = 0;
async function home(): Promise<JrtHome> {
  const h = await makeJrtHome({
    prefix: 'jrt-sec-locks-',
    extra: {
      JRT_DEBIAN_MIRROR: mirror.url,
      JRT_NPM_REGISTRY: mirror.url,
      JRT_DEBIAN_KEYRING: archive.keyring,
    },
  });
  await fakeBase(h.cache, mirror.url);
  return h;
}

/** `jrt build --locked` of `text` with `lock`; the error, what was requested meanwhile, the blobs. */
async function build(h: JrtHome, text: string, lock: Lock | object, flags: string[] = [], env = {}) {
  const dir = path.join(h.home, `case-${++n}`);
  const recipe = placeRecipe(dir, text, lock);
  const before = mirror.requests.length + elsewhere.requests.length;
  const r = await runJrt(['build', recipe, '--locked', '--out', dir, '--json', ...flags], {
    env: { ...h.env, ...env },
    timeoutMs: 90_000,
  });
  expect(r.signal, `jrt was still running after 90 s:\n${r.stderr}`).toBeNull();
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  const error =
    r.exitCode === 0 ? undefined : (JSON.parse(r.stdout).error as { code: string; message: string });
  const requested = [...mirror.requests, ...elsewhere.requests.map((p) => `elsewhere:${p}`)].slice(before);
  const blobs = path.join(h.cache, 'blobs/sha256');
  return { r, error, requested, blobs: existsSync(blobs) ? readdirSync(blobs) : [] };
}

const INDEXED = { packages: ['jrt-fixture'] };
const { bytes: _bytes, ...FIXTURE_INPUT } = FIXTURE;

describe('the lock is checked, not trusted: every field', { timeout: 120_000 }, () => {
  it.each<[string, Partial<typeof FIXTURE_INPUT>, string]>([
    [
      'a package name that climbs out of the build root',
      { package: '../../../../../../../PWNED' },
      'packages[0].package',
    ],
    [
      'an architecture that climbs out',
      { architecture: '../../../../../../../PWNED' },
      'packages[0].architecture',
    ],
    [
      'a file name that leaves the pool',
      { filename: 'pool/../../../etc/passwd.deb' },
      'packages[0].filename',
    ],
  ])(
    '%s: refused before anything is fetched or written (ERR_JRT_LOCK_INVALID)',
    async (_what, over, field) => {
      const h = await home();
      // The blob the hostile entry names is in the cache, as the reproduction had it.
      mkdirSync(path.join(h.cache, 'blobs/sha256'), { recursive: true });
      writeFileSync(path.join(h.cache, 'blobs/sha256', FIXTURE.sha256), FIXTURE.bytes);
      const text = recipeText(INDEXED);
      const b = await build(h, text, lockFor(text, { packages: [{ ...FIXTURE_INPUT, ...over }] }), [
        '--offline',
      ]);
      expect(b.r.exitCode).toBe(2);
      expect(b.error?.code).toBe('ERR_JRT_LOCK_INVALID');
      expect(b.error?.message).toContain(`tiny-1.lock.json: ${field}:`);
      expect(readdirSync(h.home).filter((f) => f.startsWith('PWNED'))).toEqual([]);
      expect(readdirSync(path.join(h.cache, 'tmp')).filter((f) => f.startsWith('build-'))).toEqual([]);
    },
  );
});

describe("the recipe's pins win over the lock's", { timeout: 120_000 }, () => {
  it('a lock naming another URL and its hash is drift: the other URL is never fetched', async () => {
    const h = await home();
    const honest = 'the honest payload\n';
    const evil = 'the attacker payload\n';
    mirror.serve('/honest.txt', honest);
    mirror.serve('/evil.txt', evil);
    const text = recipeText({
      sources: [
        `{ kind: url, url: "${mirror.url}/honest.txt", sha256: "${sha256(honest)}", dest: /opt/x.txt }`,
      ],
    });
    const lock = lockFor(text, {
      sources: [{ kind: 'url', location: `${mirror.url}/evil.txt`, size: evil.length, sha256: sha256(evil) }],
    });
    const b = await build(h, text, lock);
    expect(b.error?.code).toBe('ERR_JRT_LOCK_DRIFT');
    expect(b.error?.message).toContain(
      `sources[0]: the lock fetches ${mirror.url}/evil.txt, the recipe ${mirror.url}/honest.txt`,
    );
    expect(b.requested).not.toContain('/evil.txt');
    expect(b.blobs).not.toContain(sha256(evil));
  });

  it('an npm tarball the lock puts on another host is refused and never requested', async () => {
    const h = await home();
    const tgz = Buffer.from('a tarball from elsewhere');
    elsewhere.serve('/x.tgz', tgz);
    const text = recipeText({
      sources: ['{ kind: npm, package: jrt-fixture-pkg, version: 1.0.0, dest: /opt/pkg }'],
    });
    const lock = lockFor(text, {
      sources: [
        {
          kind: 'npm',
          package: 'jrt-fixture-pkg',
          version: '1.0.0',
          tarball: `${elsewhere.url}/x.tgz`,
          integrity: sri('sha512', tgz),
          size: tgz.length,
          sha256: sha256(tgz),
        },
      ],
    });
    const b = await build(h, text, lock);
    expect(b.error?.code).toBe('ERR_JRT_TARBALL_HOST');
    expect(b.error?.message).toContain('127.0.0.2');
    expect(b.error?.message).toContain("list it in the source's tarball_hosts");
    expect(b.requested).toEqual([]);
  });

  it('a sha256- integrity the recipe pins is verified: other bytes are refused, not accepted', async () => {
    const h = await home();
    const honest = Buffer.from('the honest tarball');
    const served = Buffer.from('other bytes the registry serves');
    mirror.serve('/jrt-fixture-pkg/-/jrt-fixture-pkg-1.0.0.tgz', served);
    const pin = sri('sha256', honest);
    const text = recipeText({
      sources: [
        `{ kind: npm, package: jrt-fixture-pkg, version: 1.0.0, dest: /opt/pkg, integrity: "${pin}" }`,
      ],
    });
    // The lock agrees with the recipe's integrity, but pins the sha256 (hex) of the served bytes.
    const lock = lockFor(text, {
      sources: [
        {
          kind: 'npm',
          package: 'jrt-fixture-pkg',
          version: '1.0.0',
          tarball: 'jrt-fixture-pkg/-/jrt-fixture-pkg-1.0.0.tgz',
          integrity: pin,
          size: served.length,
          sha256: sha256(served),
        },
      ],
    });
    const b = await build(h, text, lock);
    expect(b.error?.code).toBe('ERR_JRT_INTEGRITY_MISMATCH');
    expect(b.error?.message).toContain(`expected ${pin}, got ${sri('sha256', served)}`);
    expect(b.blobs).not.toContain(sha256(served));
  });
});

describe('downloads: capped by the size the lock states, and by a deadline', { timeout: 120_000 }, () => {
  const urlRecipe = (p: string, body: string) =>
    recipeText({
      sources: [`{ kind: url, url: "${mirror.url}${p}", sha256: "${sha256(body)}", dest: /opt/x }`],
    });
  const urlLock = (text: string, p: string, body: string, size: number) =>
    lockFor(text, { sources: [{ kind: 'url', location: `${mirror.url}${p}`, size, sha256: sha256(body) }] });

  it('a lock saying 10 bytes gets at most 10: a server sending forever is cut off at once', async () => {
    const h = await home();
    let sent = 0;
    mirror.routes.set('/endless', (_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const text = urlRecipe('/endless', '0123456789');
    const b = await build(h, text, urlLock(text, '/endless', '0123456789', 10));
    expect(b.error?.code).toBe('ERR_JRT_DOWNLOAD_TOO_LARGE');
    expect(b.error?.message).toContain('more than the 10 bytes the lock states');
    // What loopback buffers took before the client hung up; the old jrt read until the server stopped.
    expect(sent).toBeLessThan(64 << 20);
    expect(readdirSync(path.join(h.cache, 'blobs/sha256'))).toEqual([]);
  });

  it('a Content-Length above the locked size is refused before the body is read', async () => {
    const h = await home();
    mirror.serve('/announced', 'y'.repeat(100_000));
    const text = urlRecipe('/announced', '0123456789');
    const b = await build(h, text, urlLock(text, '/announced', '0123456789', 10));
    expect(b.error?.code).toBe('ERR_JRT_DOWNLOAD_TOO_LARGE');
    expect(b.error?.message).toMatch(
      /\/announced: announces 100000 bytes, more than the 10 bytes the lock states$/,
    );
  });

  it('a server sending one byte every 2 s ends at JRT_DOWNLOAD_TIMEOUT, though it is never idle', async () => {
    const h = await home();
    mirror.routes.set('/drip', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 2000);
      res.on('close', () => clearInterval(t));
    });
    const body = 'x'.repeat(100);
    const text = urlRecipe('/drip', body);
    const b = await build(h, text, urlLock(text, '/drip', body, 100), [], { JRT_DOWNLOAD_TIMEOUT: '5' });
    expect(b.error?.code).toBe('ERR_JRT_DOWNLOAD_TIMEOUT');
    expect(b.error?.message).toMatch(/\/drip: not done within 5 s \(received \d of 100 bytes\)$/);
    expect(readdirSync(path.join(h.cache, 'blobs/sha256'))).toEqual([]);
  });
});

describe("Debian packages come from the suite's signed index", { timeout: 180_000 }, () => {
  const text = recipeText(INDEXED);
  const deb = (over: Partial<typeof FIXTURE_INPUT>) =>
    lockFor(text, { packages: [{ ...FIXTURE_INPUT, ...over }] });

  it('the control: a package the signed index lists passes, is fetched, and the index is kept for offline builds and an unreachable mirror', async () => {
    const h = await home();
    const b = await build(h, text, deb({}));
    // Past the inputs: the fake base root has no shell, so the first step in the root fails.
    expect(b.error?.code).toBe('ERR_JRT_BUILD_STEP');
    expect(b.requested).toContain(`/${FIXTURE.filename}`);
    const cached = readdirSync(path.join(h.cache, 'indexes', `bookworm@${mirrorKey(mirror.url)}`));
    expect(cached.filter((f) => /^(InRelease|Packages)-[0-9a-f]{64}$/.test(f))).toHaveLength(2);
    const offline = await build(h, text, deb({}), ['--offline']);
    expect(offline.error?.code).toBe('ERR_JRT_BUILD_STEP');
    expect(offline.requested).toEqual([]);
    // A mirror that no longer answers for its index: the cached one (verified again) still holds.
    const inRelease = '/dists/bookworm/InRelease';
    const route = mirror.routes.get(inRelease);
    mirror.routes.delete(inRelease);
    try {
      const unreachable = await build(h, text, deb({}));
      expect(unreachable.error?.code).toBe('ERR_JRT_BUILD_STEP');
      expect(unreachable.requested).toEqual([inRelease]);
    } finally {
      if (route) mirror.routes.set(inRelease, route);
    }
  });

  it.each<[string, Partial<typeof FIXTURE_INPUT>, RegExp]>([
    [
      'a version the index does not have (an older one still in the pool)',
      { version: '0.9-1', filename: 'pool/main/j/jrt-fixture/jrt-fixture_0.9-1_amd64.deb' },
      /jrt-fixture 0\.9-1 amd64: not in the signed index of bookworm/,
    ],
    [
      'other bytes under the right name',
      { sha256: sha256('other bytes'), size: 11 },
      /the index says sha256 [0-9a-f]{64}, the lock/,
    ],
    [
      'another file under the right name',
      { filename: 'pool/main/n/netcat-traditional/netcat-traditional_1.10-47_amd64.deb' },
      /the index names pool\/main\/j\/jrt-fixture/,
    ],
  ])('%s: refused before the .deb is fetched (ERR_JRT_DEBIAN_NOT_IN_INDEX)', async (_what, over, message) => {
    const h = await home();
    const b = await build(h, text, deb(over));
    expect(b.error?.code).toBe('ERR_JRT_DEBIAN_NOT_IN_INDEX');
    expect(b.error?.message).toMatch(message);
    expect(b.requested.filter((p) => p.startsWith('/pool/'))).toEqual([]);
  });

  it('an index not signed by the archive key, or the index of another suite, is refused (ERR_JRT_DEBIAN_INDEX)', async () => {
    const forged = await routedServer('127.0.0.1');
    try {
      publishIndex(forged, attacker, [FIXTURE]);
      const h1 = await home();
      const env = { JRT_DEBIAN_MIRROR: forged.url };
      await fakeBase(h1.cache, forged.url);
      const b1 = await build(h1, text, deb({}), [], env);
      expect(b1.error?.code).toBe('ERR_JRT_DEBIAN_INDEX');
      expect(b1.error?.message).toMatch(
        /the signature of InRelease-[0-9a-f]{64} does not verify with .*keyring\.gpg/,
      );
      expect(forged.requests.filter((p) => p.startsWith('/pool/'))).toEqual([]);

      // A signed index of sid, served where bookworm's belongs.
      publishIndex(forged, archive, [FIXTURE], { suite: 'sid', servedAs: 'bookworm' });
      const h2 = await home();
      await fakeBase(h2.cache, forged.url);
      const b2 = await build(h2, text, deb({}), [], env);
      expect(b2.error?.code).toBe('ERR_JRT_DEBIAN_INDEX');
      expect(b2.error?.message).toContain('it is the index of sid, not of bookworm');
    } finally {
      await forged.close();
    }
  });

  it('--offline with no signed index in the cache is refused, not trusted', async () => {
    const h = await home();
    const b = await build(h, text, deb({}), ['--offline']);
    expect(b.error?.code).toBe('ERR_JRT_OFFLINE_MISSING');
    expect(b.error?.message).toContain('no signed index of bookworm in the cache');
  });
});

describe('the pockets of a suite are signed indexes of their own, verified as the suite’s', {
  timeout: 180_000,
}, () => {
  // bookworm's security fix of the fixture: its own archive path, only in bookworm-security's index.
  const FIX = {
    ...fakeDeb('jrt-fixture', '1.0-1+deb12u1'),
    filename: 'pool/updates/main/j/jrt-fixture/jrt-fixture_1.0-1+deb12u1_amd64.deb',
  };
  const { bytes: _fixBytes, ...FIX_INPUT } = FIX;
  const withPockets = (pockets: Pocket[], input: object) => {
    const text = recipeText({ ...INDEXED, pockets });
    const v1 = lockFor(text);
    const lock = {
      ...v1,
      lock_version: 2,
      pockets,
      base: v1.base.map((p) => ({ ...p, pocket: 'release' })),
      packages: [input],
    };
    return { text, lock };
  };
  /** A mirror serving bookworm (with the unfixed fixture) and the given pocket indexes. */
  async function pocketMirror(publish: (m: Awaited<ReturnType<typeof routedServer>>) => void) {
    const m = await routedServer('127.0.0.1');
    publishIndex(m, archive, [FIXTURE]);
    publish(m);
    return m;
  }
  async function buildOn(m: Awaited<ReturnType<typeof routedServer>>, pockets: Pocket[], input: object) {
    const h = await home();
    await fakeBase(h.cache, m.url, pockets);
    const { text, lock } = withPockets(pockets, input);
    return build(h, text, lock, [], { JRT_DEBIAN_MIRROR: m.url });
  }

  it('the control: a security fix the signed bookworm-security index lists passes and is fetched from that archive', async () => {
    const m = await pocketMirror((x) => publishIndex(x, archive, [FIX], { suite: 'bookworm-security' }));
    try {
      const b = await buildOn(m, ['security'], { ...FIX_INPUT, pocket: 'security' });
      expect(b.error?.code).toBe('ERR_JRT_BUILD_STEP');
      expect(m.requests).toContain('/dists/bookworm-security/InRelease');
      expect(m.requests).toContain(`/${FIX.filename}`);
    } finally {
      await m.close();
    }
  });

  it.each<[Pocket, string]>([
    ['security', 'bookworm-security'],
    ['updates', 'bookworm-updates'],
  ])(
    'a %s pocket index not signed by the archive key is refused before any .deb is fetched (ERR_JRT_DEBIAN_INDEX)',
    async (pocket, dist) => {
      const m = await pocketMirror((x) => publishIndex(x, attacker, [FIX], { suite: dist }));
      try {
        const b = await buildOn(m, [pocket], { ...FIX_INPUT, pocket });
        expect(b.error?.code).toBe('ERR_JRT_DEBIAN_INDEX');
        expect(b.error?.message).toMatch(
          /the signature of InRelease-[0-9a-f]{64} does not verify with .*keyring\.gpg/,
        );
        expect(m.requests.filter((p) => p.startsWith('/pool/'))).toEqual([]);
      } finally {
        await m.close();
      }
    },
  );

  it("bookworm's own signed index served as bookworm-security is refused (ERR_JRT_DEBIAN_INDEX)", async () => {
    const m = await pocketMirror((x) =>
      publishIndex(x, archive, [FIX], { suite: 'bookworm', servedAs: 'bookworm-security' }),
    );
    try {
      const b = await buildOn(m, ['security'], { ...FIX_INPUT, pocket: 'security' });
      expect(b.error?.code).toBe('ERR_JRT_DEBIAN_INDEX');
      expect(b.error?.message).toContain('it is the index of bookworm, not of bookworm-security');
      expect(m.requests.filter((p) => p.startsWith('/pool/'))).toEqual([]);
    } finally {
      await m.close();
    }
  });

  it('a package locked from a pocket whose index does not list it is refused (ERR_JRT_DEBIAN_NOT_IN_INDEX)', async () => {
    const m = await pocketMirror((x) => publishIndex(x, archive, [], { suite: 'bookworm-security' }));
    try {
      // The fix is in no index; the unfixed fixture is in bookworm's, not in the security pocket's.
      const fix = await buildOn(m, ['security'], { ...FIX_INPUT, pocket: 'security' });
      expect(fix.error?.code).toBe('ERR_JRT_DEBIAN_NOT_IN_INDEX');
      expect(fix.error?.message).toContain('not in the signed index of bookworm-security');
      const moved = await buildOn(m, ['security'], { ...FIXTURE_INPUT, pocket: 'security' });
      expect(moved.error?.code).toBe('ERR_JRT_DEBIAN_NOT_IN_INDEX');
      expect(m.requests.filter((p) => p.startsWith('/pool/'))).toEqual([]);
    } finally {
      await m.close();
    }
  });
});
