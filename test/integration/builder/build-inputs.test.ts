/**
 * Bad inputs while resolving a recipe: a url whose sha256 is wrong, an npm package whose integrity
 * does not match, a download cut short, a Debian package that does not exist. url and npm inputs
 * come from a loopback server in this process (JRT_NPM_REGISTRY points at it); Debian's from the
 * host's mirror. Every case: a clear error naming what is at fault, no artifact, no lock written,
 * no build dir, nothing half-downloaded in the blob cache.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeJrtHome, requireRoot } from '../../helpers/jrt.js';
import {
  expectCleanFailure,
  jrtAsync,
  list,
  loopbackServer,
  placeRecipe,
  removeTestHome,
} from './build-harness.js';

const PAYLOAD = Buffer.from('the payload a recipe downloads\n'.repeat(200));
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const sri = (b: Buffer) => `sha512-${createHash('sha512').update(b).digest('base64')}`;
const sri1 = (b: Buffer) => `sha1-${createHash('sha1').update(b).digest('base64')}`;
const sri256 = (b: Buffer) => `sha256-${createHash('sha256').update(b).digest('base64')}`;

/** A server on 127.0.0.2 that serves `body()` at any path and logs what was asked. */
async function otherHost(body: () => Buffer) {
  const requests: string[] = [];
  const srv = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.end(body());
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.2', resolve));
  return {
    url: `http://127.0.0.2:${(srv.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

let home: string;
let env: NodeJS.ProcessEnv;
let cache: string;
let server: Awaited<ReturnType<typeof loopbackServer>>;
/** What the loopback registry serves as the package's tarball and claims as its integrity. */
let tarball: Buffer;
let registryIntegrity: string;
/** Another loopback address, standing for a host that is not the registry's. */
let elsewhere: { url: string; requests: string[]; close: () => Promise<void> };

beforeAll(async () => {
  requireRoot();
  tarball = makeNpmTarball();
  registryIntegrity = sri(tarball);
  server = await loopbackServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/payload.txt') return void res.end(PAYLOAD);
    if (url === '/cut-short.txt') {
      // Promise 100 kB, send 1 kB, hang up.
      res.writeHead(200, { 'content-length': String(100_000) });
      res.write(PAYLOAD.subarray(0, 1000), () => res.destroy());
      return;
    }
    if (url === '/jrt-fixture-pkg/1.0.0') {
      res.setHeader('content-type', 'application/json');
      return void res.end(
        JSON.stringify({
          name: 'jrt-fixture-pkg',
          version: '1.0.0',
          dist: {
            tarball: `${server.url}/jrt-fixture-pkg/-/jrt-fixture-pkg-1.0.0.tgz`,
            integrity: registryIntegrity,
          },
        }),
      );
    }
    if (url === '/jrt-fixture-pkg/-/jrt-fixture-pkg-1.0.0.tgz') return void res.end(tarball);
    // Version documents that attack the resolver: a tarball elsewhere, a weak integrity, a sha256
    // integrity the served bytes do not match.
    const doc = (tarballUrl: string, integrity: string) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ dist: { tarball: tarballUrl, integrity } }));
    };
    if (url === '/jrt-elsewhere-pkg/1.0.0') return doc(`${elsewhere.url}/x.tgz`, registryIntegrity);
    if (url === '/jrt-weak-pkg/1.0.0')
      return doc(`${server.url}/jrt-fixture-pkg/-/jrt-fixture-pkg-1.0.0.tgz`, sri1(tarball));
    if (url === '/jrt-sha256-pkg/1.0.0')
      return doc(`${server.url}/jrt-sha256-pkg/-/x.tgz`, sri256(Buffer.from('the honest tarball')));
    if (url === '/jrt-sha256-pkg/-/x.tgz') return void res.end(tarball);
    res.statusCode = 404;
    res.end('not found');
  });
  elsewhere = await otherHost(() => tarball);
  ({ home, env } = await makeJrtHome({ extra: { JRT_NPM_REGISTRY: server.url } }));
  cache = env.JRT_CACHE as string;
  // Make the base root once for the whole file (and prove a plain recipe resolves here).
  const dir = path.join(home, 'warm');
  mkdirSync(dir);
  const r = await jrtAsync(['lock', placeRecipe('tiny.yml', dir), '--json'], { env });
  if (r.exitCode !== 0) throw new Error(`jrt lock tiny.yml failed (${r.exitCode}): ${r.stderr}`);
}, 240_000);

afterAll(async () => {
  await server?.close();
  await elsewhere?.close();
  if (home) removeTestHome(home);
});

/** A package tarball as npm makes them: package/package.json inside a gzipped tar. */
function makeNpmTarball(): Buffer {
  const dir = path.join(process.env.TMPDIR ?? '/tmp', `jrt-npm-fixture-${process.pid}`);
  mkdirSync(path.join(dir, 'package'), { recursive: true });
  writeFileSync(path.join(dir, 'package/package.json'), '{"name":"jrt-fixture-pkg","version":"1.0.0"}\n');
  const r = spawnSync('tar', ['--create', '--gzip', '--file', '-', '--directory', dir, 'package']);
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return r.stdout;
}

let cases = 0;
async function build(fixture: string, vars: Record<string, string>) {
  const dir = path.join(home, `case-${++cases}`);
  const out = path.join(dir, 'out');
  mkdirSync(out, { recursive: true });
  const recipe = placeRecipe(fixture, dir, vars);
  const blobsBefore = list(path.join(cache, 'blobs/sha256'));
  const r = await jrtAsync(['build', recipe, '--out', out, '--json'], { env });
  const error =
    r.exitCode === 0 ? undefined : (JSON.parse(r.stdout).error as { code: string; message: string });
  return {
    r,
    error,
    ctx: { home, cache, out },
    lockWritten: existsSync(path.join(path.dirname(recipe), 'tiny-1.lock.json')),
    newBlobs: list(path.join(cache, 'blobs/sha256')).filter((b) => !blobsBefore.includes(b)),
  };
}

describe('jrt build: bad inputs', { timeout: 180_000 }, () => {
  it('a url whose sha256 is wrong: both hashes and the URL, nothing cached', async () => {
    const claimed = sha256('not the payload');
    const url = `${server.url}/payload.txt`;
    const b = await build('url-source.yml', { URL: url, SHA256: claimed });
    expectCleanFailure(b.r, b.ctx, 1);
    expect(b.error?.code).toBe('ERR_JRT_CHECKSUM_MISMATCH');
    expect(b.error?.message).toBe(
      `checksum mismatch for ${url}: expected sha256 ${claimed}, got ${sha256(PAYLOAD)}`,
    );
    expect(b.lockWritten).toBe(false);
    expect(b.newBlobs).toEqual([]);
  });

  it('a url whose sha256 is right is locked and cached under that sha256 (the control case)', async () => {
    const dir = path.join(home, 'control');
    mkdirSync(dir);
    const recipe = placeRecipe('url-source.yml', dir, {
      URL: `${server.url}/payload.txt`,
      SHA256: sha256(PAYLOAD),
    });
    const r = await jrtAsync(['lock', recipe, '--json'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const lock = JSON.parse(readFileSync(path.join(path.dirname(recipe), 'tiny-1.lock.json'), 'utf8'));
    expect(lock.sources).toEqual([
      { kind: 'url', location: `${server.url}/payload.txt`, sha256: sha256(PAYLOAD), size: PAYLOAD.length },
    ]);
    expect(readFileSync(path.join(cache, 'blobs/sha256', sha256(PAYLOAD)))).toEqual(PAYLOAD);
  });

  it('a download cut short: the URL named, no partial blob left', async () => {
    const url = `${server.url}/cut-short.txt`;
    // A hash nothing in the cache has, so the download is really attempted.
    const b = await build('url-source.yml', { URL: url, SHA256: sha256(`${PAYLOAD}cut`) });
    expectCleanFailure(b.r, b.ctx, 1);
    expect(b.error?.code).toBe('ERR_JRT_TRUNCATED');
    // 1000 bytes are sent; how many arrive before the close is the network stack's business.
    expect(b.error?.message).toMatch(/: the connection closed after \d+ of 100000 bytes \(4 attempts\)$/);
    expect(b.error?.message.startsWith(`GET ${url}: `)).toBe(true);
    expect(b.lockWritten).toBe(false);
    expect(b.newBlobs).toEqual([]);
  });

  it('an npm integrity in the recipe that the registry contradicts: both values named', async () => {
    const pinned = sri(Buffer.from('some other tarball'));
    const b = await build('npm-source.yml', { INTEGRITY: pinned });
    expectCleanFailure(b.r, b.ctx, 1);
    expect(b.error?.code).toBe('ERR_JRT_INTEGRITY_MISMATCH');
    expect(b.error?.message).toContain('jrt-fixture-pkg@1.0.0');
    expect(b.error?.message).toContain(pinned);
    expect(b.error?.message).toContain(registryIntegrity);
    expect(b.lockWritten).toBe(false);
  });

  it('an npm tarball that does not match the integrity the recipe and registry agree on', async () => {
    const honest = registryIntegrity;
    // The registry's document still claims the pinned integrity, but serves other bytes.
    const served = tarball;
    tarball = Buffer.concat([served, Buffer.from('tampered')]);
    try {
      const b = await build('npm-source.yml', { INTEGRITY: honest });
      expectCleanFailure(b.r, b.ctx, 1);
      expect(b.error?.code).toBe('ERR_JRT_INTEGRITY_MISMATCH');
      expect(b.error?.message).toContain(`${server.url}/jrt-fixture-pkg/-/jrt-fixture-pkg-1.0.0.tgz`);
      expect(b.error?.message).toContain(`expected ${honest}, got ${sri(tarball)}`);
      expect(b.lockWritten).toBe(false);
      expect(b.newBlobs).toEqual([]);
    } finally {
      tarball = served;
    }
  });

  it('a registry document pointing the tarball at another host: refused, that host never asked', async () => {
    const b = await build('npm-source-hosts.yml', {
      PACKAGE: 'jrt-elsewhere-pkg',
      HOSTS: '# no tarball_hosts',
    });
    expectCleanFailure(b.r, b.ctx, 1);
    expect(b.error?.code).toBe('ERR_JRT_TARBALL_HOST');
    expect(b.error?.message).toContain(`${new URL(elsewhere.url).host} is not the registry's host`);
    expect(elsewhere.requests).toEqual([]);
    expect(b.lockWritten).toBe(false);
  });

  it('the same host listed in tarball_hosts is allowed, and the lock keeps its absolute URL (the control)', async () => {
    const dir = path.join(home, 'hosts-control');
    mkdirSync(dir);
    const recipe = placeRecipe('npm-source-hosts.yml', dir, {
      PACKAGE: 'jrt-elsewhere-pkg',
      HOSTS: `tarball_hosts: ["${new URL(elsewhere.url).host}"]`,
    });
    const r = await jrtAsync(['lock', recipe, '--json'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const lock = JSON.parse(readFileSync(path.join(path.dirname(recipe), 'tiny-1.lock.json'), 'utf8'));
    expect(lock.sources[0]).toMatchObject({
      tarball: `${elsewhere.url}/x.tgz`,
      integrity: registryIntegrity,
    });
    expect(elsewhere.requests).toEqual(['/x.tgz']);
  });

  it('a registry that offers only a sha1 integrity is refused (ERR_JRT_INTEGRITY_WEAK)', async () => {
    const b = await build('npm-source-hosts.yml', { PACKAGE: 'jrt-weak-pkg', HOSTS: '# no tarball_hosts' });
    expectCleanFailure(b.r, b.ctx, 1);
    expect(b.error?.code).toBe('ERR_JRT_INTEGRITY_WEAK');
    expect(b.error?.message).toContain('only weak hashes (sha1)');
    expect(b.lockWritten).toBe(false);
    expect(b.newBlobs).toEqual([]);
  });

  it('a sha256 integrity is verified too: bytes that do not match it never enter the cache', async () => {
    const b = await build('npm-source-hosts.yml', { PACKAGE: 'jrt-sha256-pkg', HOSTS: '# no tarball_hosts' });
    expectCleanFailure(b.r, b.ctx, 1);
    expect(b.error?.code).toBe('ERR_JRT_INTEGRITY_MISMATCH');
    expect(b.error?.message).toContain(`got ${sri256(tarball)}`);
    expect(b.lockWritten).toBe(false);
    expect(b.newBlobs).toEqual([]);
  });

  it('a Debian package that does not exist: exit 2 naming it (and only it)', async () => {
    const b = await build('missing-package.yml', {});
    expectCleanFailure(b.r, b.ctx, 2);
    expect(b.error?.code).toBe('ERR_JRT_DEBIAN_PACKAGE_NOT_FOUND');
    expect(b.error?.message).toBe('Debian package not found in the suite: jrt-no-such-package');
    expect(b.lockWritten).toBe(false);
  });
});
