/**
 * A recipe's build steps are hostile code (issue 19, items 2, 5 and 7): real `jrt build` runs of
 * small bookworm recipes against the real Debian mirror (the inputs) and a loopback server (a url
 * source), in one temp home whose cache every build shares. What one build's steps do must not
 * change what another recipe's next `--locked --offline` build makes, must never mount the host into
 * a smoke test, and must never leave a build dir that breaks the next build.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorKey } from '../../src/builder/base.js';
import { type DebianInput, inputsDigest, type Lock } from '../../src/builder/lock.js';
import { removeTree } from '../../src/core/remove-tree.js';
import { validateRecipe } from '../../src/recipe/validate.js';
import { type JrtResult, makeJrtHome, requireRoot, requireTools } from '../helpers/jrt.js';
import {
  expectCleanFailure,
  expectNoLeftovers,
  jrtAsync,
  list,
  loopbackServer,
  removeTestHome,
} from '../integration/builder/build-harness.js';
import { publishIndex, routedServer, signingKey } from './inputs-harness.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const PAYLOAD = 'the victim’s payload\n';

const USR_MOUNTS = [
  '  - { source: rootfs/usr, target: /usr, readonly: true }',
  '  - { source: rootfs/usr/lib, target: /lib, readonly: true }',
  '  - { source: rootfs/usr/lib64, target: /lib64, readonly: true }',
  '  - { source: rootfs/usr/bin, target: /bin, readonly: true }',
];

/** Another recipe on this host: a Debian package not in the base (hello) and a url source. */
function victimRecipe(url: string): string {
  return [
    'name: victim-1',
    'language: victim',
    'version: "1.0"',
    'description: what another recipe must not be able to change',
    'base: bookworm',
    'pockets: []',
    'sources:',
    `  - { kind: url, url: "${url}", sha256: ${sha256(PAYLOAD)}, dest: /opt/data/payload.txt }`,
    'runtime:',
    '  packages: [dash, coreutils, hello]',
    '  paths: [/opt/data]',
    'mounts:',
    ...USR_MOUNTS,
    '  - { source: rootfs/opt, target: /opt, readonly: true }',
    'test:',
    '  - { name: hello and the payload, run: "hello && cat /opt/data/payload.txt", expect: payload }',
    '',
  ].join('\n');
}

/** tiny-1 (dash and coreutils) with hostile steps, paths, mounts and tests. */
function hostileRecipe(opts: { steps: string; paths?: string[]; mounts?: string[]; test?: string }): string {
  return [
    'name: tiny-1',
    'language: tiny',
    'version: "1.0"',
    'description: a recipe whose steps attack the build host',
    'base: bookworm',
    'pockets: []',
    'build:',
    '  steps:',
    '    - name: attack',
    '      run: |',
    ...opts.steps
      .trim()
      .split('\n')
      .map((l) => `        ${l}`),
    'runtime:',
    '  packages: [dash, coreutils]',
    `  paths: [${(opts.paths ?? []).join(', ')}]`,
    'mounts:',
    ...USR_MOUNTS,
    ...(opts.mounts ?? []),
    'test:',
    `  - { name: the shell runs, run: "${opts.test ?? 'echo ok'}", expect: ok }`,
    '',
  ].join('\n');
}

let home: string;
let env: NodeJS.ProcessEnv;
let cache: string;
let server: Awaited<ReturnType<typeof loopbackServer>>;
let victim: string;
let tinyLock: string;
/** The victim's artifact before any hostile build, and its bytes. */
let before: Buffer;

/** `jrt build`, with --json unless `progress` (warnings are progress lines on stderr). */
async function build(
  recipe: string,
  out: string,
  flags: string[] = [],
  progress = false,
): Promise<JrtResult> {
  mkdirSync(out, { recursive: true });
  return jrtAsync(['build', recipe, '--out', out, ...(progress ? [] : ['--json']), ...flags], { env });
}

/** A case dir with a hostile recipe and tiny's lock next to it (steps and paths are not lock inputs). */
function place(name: string, text: string): { recipe: string; out: string } {
  const dir = path.join(home, name);
  mkdirSync(dir, { recursive: true });
  const recipe = path.join(dir, 'tiny.yml');
  writeFileSync(recipe, text);
  copyFileSync(tinyLock, path.join(dir, 'tiny-1.lock.json'));
  return { recipe, out: path.join(dir, 'out') };
}

const artifactOf = (out: string) => path.join(out, 'victim-1-1.0.jrt.tar.gz');

beforeAll(async () => {
  requireRoot('bwrap build sandboxes');
  requireTools({
    bwrap: 'bubblewrap',
    mmdebstrap: 'mmdebstrap',
    perl: 'perl-base',
    'dpkg-deb': 'dpkg',
    gpg: 'gnupg',
    gpgv: 'gpgv',
    xz: 'xz-utils',
  });
  ({ home, env } = await makeJrtHome({ prefix: 'jrt-sec-builds-' }));
  cache = env.JRT_CACHE as string;
  server = await loopbackServer((req, res) => {
    if (req.url === '/payload.txt') return void res.end(PAYLOAD);
    res.statusCode = 404;
    res.end();
  });
  const dir = path.join(home, 'victim');
  mkdirSync(dir);
  victim = path.join(dir, 'victim.yml');
  writeFileSync(victim, victimRecipe(`${server.url}/payload.txt`));
  const first = await build(victim, path.join(dir, 'out-1'));
  if (first.exitCode !== 0) throw new Error(`the victim's first build failed: ${first.stderr}`);
  before = readFileSync(artifactOf(path.join(dir, 'out-1')));
  const tiny = path.join(home, 'tiny');
  mkdirSync(tiny);
  writeFileSync(path.join(tiny, 'tiny.yml'), hostileRecipe({ steps: 'true' }));
  const locked = await jrtAsync(['lock', path.join(tiny, 'tiny.yml'), '--json'], { env });
  if (locked.exitCode !== 0) throw new Error(`jrt lock tiny.yml failed: ${locked.stderr}`);
  tinyLock = path.join(tiny, 'tiny-1.lock.json');
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (!home) return;
  try {
    removeTestHome(home);
  } catch {
    // A deep tree a failed case left (fs.rm gives up at PATH_MAX).
    await removeTree(home);
  }
});

describe('item 2: the blob cache is immutable to builds', { timeout: 240_000 }, () => {
  it('a build whose step tampers with every path it can reach leaves another recipe’s next --locked --offline build byte-identical', async () => {
    // Root inside the sandbox: remount every read-only mount read-write, then overwrite every file
    // in every place the cache could show up (the blob bind, the .debs apt installed from, anything
    // hard-linked), the build root's caches and temp dirs.
    const { recipe, out } = place(
      'tamper',
      hostileRecipe({
        steps: `
awk '{print $5}' /proc/self/mountinfo | while read -r m; do mount -o remount,rw,bind "$m" 2>/dev/null || true; done
for d in /var/cache /tmp /var/tmp /root /run; do
  find "$d" -xdev -type f 2>/dev/null | while read -r f; do chmod u+w "$f" 2>/dev/null; printf 'tampered\\n' > "$f" 2>/dev/null || true; done
done
find / -xdev -type f -links +1 2>/dev/null | while read -r f; do printf 'tampered\\n' > "$f" 2>/dev/null || true; done
mkdir -p /var/cache/jrt-blobs /var/cache/jrt-debs && printf 'tampered\\n' > /var/cache/jrt-blobs/planted
ls -la /var/cache`,
      }),
    );
    const attack = await build(recipe, out);
    expect(attack.stderr).not.toMatch(/internal error|\n\s+at /);

    const blobs = path.join(cache, 'blobs/sha256');
    for (const name of readdirSync(blobs))
      expect(sha256(readFileSync(path.join(blobs, name))), `blob ${name}`).toBe(name);
    const again = path.join(home, 'victim/out-2');
    const r = await build(victim, again, ['--locked', '--offline']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(sha256(readFileSync(artifactOf(again)))).toBe(sha256(before));
    expectNoLeftovers({ home, cache, out: path.join(home, 'tamper/out-none') });
  });
});

/** A .deb (made with dpkg-deb) whose postinst runs `script` as root in the build root. */
function debWithPostinst(name: string, script: string): Buffer {
  const dir = path.join(home, `deb-${name}`);
  mkdirSync(path.join(dir, 'DEBIAN'), { recursive: true });
  writeFileSync(
    path.join(dir, 'DEBIAN/control'),
    `Package: ${name}\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: jrt tests <jrt-test@invalid>\nDescription: a hostile package\n`,
  );
  writeFileSync(path.join(dir, 'DEBIAN/postinst'), `#!/bin/sh\n${script}\nexit 0\n`, { mode: 0o755 });
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', dir, `${dir}.deb`], { stdio: 'ignore' });
  return readFileSync(`${dir}.deb`);
}

describe('item 2: a package’s maintainer script cannot reach the cache', { timeout: 240_000 }, () => {
  it('a postinst rewriting every .deb apt installs from (0.2.0: hard links into the cache) changes no blob and no other recipe’s --locked --offline build', async () => {
    // A mirror whose signed index lists the victim's own hello .deb (the same bytes, from the cache)
    // and a package whose postinst overwrites every other .deb of the install in place.
    const mirror = await routedServer('127.0.0.1');
    const key = await signingKey('jrt test archive');
    try {
      const victimLock = JSON.parse(
        readFileSync(path.join(path.dirname(victim), 'victim-1.lock.json'), 'utf8'),
      ) as Lock;
      const hello = victimLock.packages.find((p) => p.package === 'hello') as DebianInput;
      const helloBytes = readFileSync(path.join(cache, 'blobs/sha256', hello.sha256));
      const evilBytes = debWithPostinst(
        'jrt-evil',
        'for f in /var/cache/jrt-debs/*.deb; do case "$f" in *jrt-evil*) ;; *) printf tampered > "$f" ;; esac; done',
      );
      const evil: DebianInput = {
        package: 'jrt-evil',
        version: '1.0-1',
        architecture: 'amd64',
        filename: 'pool/main/j/jrt-evil/jrt-evil_1.0-1_amd64.deb',
        size: evilBytes.length,
        sha256: sha256(evilBytes),
        pocket: 'release',
      };
      publishIndex(mirror, key, [
        { ...hello, bytes: helloBytes },
        { ...evil, bytes: evilBytes },
      ]);
      // The cached base root serves this mirror too (it holds the same bookworm packages).
      const bases = path.join(cache, 'bases');
      const real = readdirSync(bases).find((f) => f.endsWith('.tar')) as string;
      copyFileSync(path.join(bases, real), path.join(bases, `bookworm@${mirrorKey(mirror.url)}.tar`));
      const text = hostileRecipe({ steps: 'true' }).replace(
        'packages: [dash, coreutils]',
        'packages: [dash, coreutils, hello, jrt-evil]',
      );
      const valid = validateRecipe(text, 'tiny.yml');
      if ('errors' in valid) throw new Error(JSON.stringify(valid.errors));
      const tiny = JSON.parse(readFileSync(tinyLock, 'utf8')) as Lock;
      const { recipe, out } = place('maintainer-script', text);
      writeFileSync(
        path.join(path.dirname(recipe), 'tiny-1.lock.json'),
        JSON.stringify(
          { ...tiny, inputs_digest: inputsDigest(valid.recipe), packages: [hello, evil] },
          null,
          2,
        ),
      );
      mkdirSync(out, { recursive: true });
      const attack = await jrtAsync(['build', recipe, '--locked', '--out', out, '--json'], {
        env: { ...env, JRT_DEBIAN_MIRROR: mirror.url, JRT_DEBIAN_KEYRING: key.keyring },
      });
      expect(attack.stderr).not.toMatch(/internal error|\n\s+at /);
      // The postinst ran: the install step succeeded (the build went on to its end).
      expect(attack.exitCode, attack.stderr + attack.stdout).toBe(0);
    } finally {
      await mirror.close();
      key.close();
    }
    const blobs = path.join(cache, 'blobs/sha256');
    for (const name of readdirSync(blobs))
      expect(sha256(readFileSync(path.join(blobs, name))), `blob ${name}`).toBe(name);
    const again = path.join(home, 'victim/out-3');
    const r = await build(victim, again, ['--locked', '--offline']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(sha256(readFileSync(artifactOf(again)))).toBe(sha256(before));
  });
});

describe('item 7: a recipe mount through a link is refused before the smoke test', {
  timeout: 240_000,
}, () => {
  it('mount source rootfs/h with a step’s h -> / is refused (ERR_JRT_MOUNT_SOURCE_UNSAFE): the smoke test never sees the host', async () => {
    const marker = path.join(home, 'host-marker');
    writeFileSync(marker, 'ok: the host is mounted\n');
    const { recipe, out } = place(
      'mount',
      hostileRecipe({
        steps: 'ln -s / /h',
        paths: ['/h'],
        mounts: ['  - { source: rootfs/h, target: /host, readonly: true }'],
        test: `cat /host${marker}`,
      }),
    );
    const r = await build(recipe, out);
    expectCleanFailure(r, { home, cache, out }, 1);
    const e = JSON.parse(r.stdout).error as { code: string; message: string };
    expect(e.code).toBe('ERR_JRT_MOUNT_SOURCE_UNSAFE');
    expect(e.message).toContain(
      'mounts: source rootfs/h (for /host) is refused: it goes through the symlink rootfs/h',
    );
  });
});

describe('item 5: build dirs are removable at any depth', { timeout: 240_000 }, () => {
  it('a step’s tree deeper than PATH_MAX is removed with its build dir, and a deep leftover is reported and removed', async () => {
    // What a killed build of such a step leaves: a build dir of a process that is gone.
    const leftover = path.join(cache, 'tmp', 'build-999999-deadbeef');
    mkdirSync(leftover, { recursive: true });
    execFileSync('perl', [
      '-e',
      'chdir $ARGV[0] or die; for (1..1200) { mkdir "dddddddd" or die; chdir "dddddddd" or die }',
      leftover,
    ]);
    const { recipe, out } = place(
      'deep',
      hostileRecipe({
        steps: `perl -e 'for (1..1200) { mkdir "dddddddd" or die; chdir "dddddddd" or die } open F, ">f" or die'`,
      }),
    );
    const r = await build(recipe, out, [], true);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('removed the build dir build-999999-deadbeef left by an earlier build');
    expect(list(path.join(cache, 'tmp'))).toEqual([]);
    expect(existsSync(leftover)).toBe(false);
  });
});
