/**
 * For the tests of hostile build inputs (locks, indexes, download servers) without the Internet:
 * a loopback server standing in for the Debian mirror and the npm registry, a signed Debian index
 * made with a test key, and a cached "base root" that is only its dpkg status (enough for the lock
 * phase; a build then fails at its first step in the root, after the inputs were judged).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { archivesOf } from '../../src/builder/archives.js';
import { baseTarball } from '../../src/builder/base.js';
import { type DebianInput, inputsDigest, type Lock } from '../../src/builder/lock.js';
import type { Pocket } from '../../src/recipe/types.js';
import { validateRecipe } from '../../src/recipe/validate.js';
import { tempDir } from '../helpers/temp.js';

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
export const sri = (alg: string, b: Buffer | string) =>
  `${alg}-${createHash(alg).update(b).digest('base64')}`;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback HTTP server whose routes a test sets; every requested path is logged. */
export async function routedServer(host = '127.0.0.1') {
  const routes = new Map<string, Handler>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const route = routes.get(req.url ?? '');
    if (route) return route(req, res);
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    routes,
    requests,
    serve(p: string, body: Buffer | string) {
      routes.set(p, (_req, res) => res.end(body));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A GnuPG home with one signing key; `keyring` is its public key as apt's Signed-By files are. */
export async function signingKey(name: string) {
  const home = await tempDir('jrt-gpg-');
  const gpg = (args: string[], input?: string) =>
    execFileSync(
      'gpg',
      ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
      {
        input,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
  gpg(['--quick-gen-key', `${name} <jrt-test@invalid>`, 'ed25519', 'sign', 'never']);
  const keyring = path.join(home, 'keyring.gpg');
  writeFileSync(keyring, gpg(['--export']));
  return {
    keyring,
    clearsign: (text: string) => gpg(['--clearsign'], text).toString(),
    close: () => execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']),
  };
}

export interface IndexedDeb extends DebianInput {
  bytes: Buffer;
}

export function fakeDeb(pkg: string, version: string, content = `${pkg} ${version}`): IndexedDeb {
  const bytes = Buffer.from(`!<arch>\n${content}\n`);
  return {
    package: pkg,
    version,
    architecture: 'amd64',
    filename: `pool/main/${pkg[0]}/${pkg}/${pkg}_${version}_amd64.deb`,
    size: bytes.length,
    sha256: sha256(bytes),
    bytes,
  };
}

/** Put a signed index of `suite` listing `debs` (and the .debs themselves) on the mirror. */
export function publishIndex(
  mirror: Awaited<ReturnType<typeof routedServer>>,
  key: { clearsign: (t: string) => string },
  debs: IndexedDeb[],
  opts: { suite?: string; codename?: string; servedAs?: string } = {},
): void {
  const packages = debs
    .map((d) =>
      [
        `Package: ${d.package}`,
        `Version: ${d.version}`,
        `Architecture: ${d.architecture}`,
        'Maintainer: jrt tests <jrt-test@invalid>',
        `Filename: ${d.filename}`,
        `Size: ${d.size}`,
        `SHA256: ${d.sha256}`,
        'Description: a test package',
        '',
      ].join('\n'),
    )
    .join('\n');
  const xz = execFileSync('xz', ['-c'], { input: packages });
  const suite = opts.suite ?? 'bookworm';
  const release = [
    'Origin: jrt-test',
    `Suite: ${suite}`,
    `Codename: ${opts.codename ?? suite}`,
    'Date: Sat, 28 Nov 2026 12:00:00 UTC',
    'Acquire-By-Hash: yes',
    'Architectures: amd64',
    'Components: main',
    'SHA256:',
    ` ${sha256(packages)} ${Buffer.byteLength(packages)} main/binary-amd64/Packages`,
    ` ${sha256(xz)} ${xz.length} main/binary-amd64/Packages.xz`,
    '',
  ].join('\n');
  const dists = `/dists/${opts.servedAs ?? suite}`;
  mirror.serve(`${dists}/InRelease`, key.clearsign(release));
  mirror.serve(`${dists}/main/binary-amd64/by-hash/SHA256/${sha256(xz)}`, xz);
  for (const d of debs) mirror.serve(`/${d.filename}`, d.bytes);
}

const BASE = ['dash', 'coreutils'];

/**
 * A cached base root for bookworm (and `pockets`, every archive on `mirror`) holding only the dpkg
 * status of dash and coreutils.
 */
export async function fakeBase(cache: string, mirror: string, pockets: Pocket[] = []): Promise<void> {
  const dir = await tempDir('jrt-fake-base-');
  mkdirSync(path.join(dir, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(
    path.join(dir, 'var/lib/dpkg/status'),
    BASE.map(
      (p) => `Package: ${p}\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n`,
    ).join('\n'),
  );
  mkdirSync(path.join(cache, 'bases'), { recursive: true });
  execFileSync('tar', [
    '-cf',
    baseTarball(cache, archivesOf('bookworm', pockets, { debian: mirror, security: mirror })),
    '-C',
    dir,
    '.',
  ]);
}

/** A recipe on the fake base with these extra runtime packages and sources (YAML flow text). */
export function recipeText(
  opts: { packages?: string[]; sources?: string[]; pockets?: Pocket[] } = {},
): string {
  return [
    'name: tiny-1',
    'language: tiny',
    'version: "1.0"',
    'description: hostile inputs',
    'base: bookworm',
    `pockets: [${(opts.pockets ?? []).join(', ')}]`,
    `sources: [${(opts.sources ?? []).join(', ')}]`,
    'runtime:',
    `  packages: [${[...BASE, ...(opts.packages ?? [])].join(', ')}]`,
    'mounts:',
    '  - { source: rootfs/usr, target: /usr, readonly: true }',
    '',
  ].join('\n');
}

/** The lock an honest `jrt lock` would write for `text`, with `over` on top (the attack). */
export function lockFor(text: string, over: Partial<Lock> = {}): Lock {
  const r = validateRecipe(text, 'tiny.yml');
  if ('errors' in r) throw new Error(JSON.stringify(r.errors));
  return {
    lock_version: 1,
    recipe: 'tiny-1',
    inputs_digest: inputsDigest(r.recipe),
    suite: 'bookworm',
    architecture: 'amd64',
    resolved_at: '2026-11-28T12:00:00.000Z',
    snapshot: 'https://snapshot.debian.org/archive/debian/20261128T120000Z/',
    base: BASE.map((p) => fakeDeb(p, '1.0-1')).map(({ bytes: _, ...d }) => d),
    packages: [],
    sources: [],
    ...over,
  };
}

/** Write recipe and lock into `dir`; returns the recipe's path. */
export function placeRecipe(dir: string, text: string, lock: Lock | object): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'tiny.yml'), text);
  writeFileSync(path.join(dir, 'tiny-1.lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  return path.join(dir, 'tiny.yml');
}
