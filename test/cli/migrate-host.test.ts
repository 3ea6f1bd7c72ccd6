/**
 * `jrt migrate scan` on this machine's real host, read-only, checked against what dpkg-query,
 * readlink and the pyenv tree say. The test machine has Debian's python3.11 and an OpenJDK (17);
 * a machine without them fails here, naming what is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareVersions } from '../../src/migrate/versions.js';
import { type JrtHome, jrt, makeJrtHome, REPO } from '../helpers/jrt.js';

interface Install {
  language: string;
  version: string;
  source: string;
  where: string;
  packages?: { name: string; version: string }[];
  match: { kind: string; recipe?: string; recipe_version?: string };
}

function dpkg(args: string[]): string {
  try {
    return execFileSync('dpkg-query', args, { encoding: 'utf8' });
  } catch (e) {
    throw new Error(
      `this test reads the real host's Debian packages: dpkg-query ${args.join(' ')} failed (${(e as Error).message})`,
    );
  }
}

/** A dpkg-query format field: `${Version}`. */
const field = (name: string) => `\${${name}}`;

/** Debian version → upstream, written independently of jrt's parser: `17.0.15+6-1~deb12u1` → `17.0.15`. */
const upstream = (v: string) => /^(?:\d+:)?(\d+(?:\.\d+)*)/.exec(v)?.[1] as string;
const kindAgainst = (host: string, recipe: string) =>
  compareVersions(recipe, host) === 0
    ? 'exact'
    : compareVersions(recipe, host) > 0
      ? 'newer-patch'
      : 'older-patch';

let h: JrtHome;
let installs: Install[];
let pathEntries: { command: string; found?: string; install?: string }[];

beforeAll(async () => {
  h = await makeJrtHome({ prefix: 'jrt-migrate-host-' });
  const r = await jrt(h, ['migrate', 'scan', '--json'], {
    JRT_RECIPES: path.join(REPO, 'recipes'),
    PATH: process.env.PATH,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  ({ installs, path: pathEntries } = JSON.parse(r.stdout));
});

describe("jrt migrate scan on this machine's host", () => {
  it("lists Debian's python3.11 with its packages and the python-3.11 recipe", () => {
    const version = dpkg(['-W', '-f', field('Version'), 'python3.11']).trim();
    if (!version)
      throw new Error('this test needs Debian python3.11 installed on the host (apt-get install python3.11)');
    const py = installs.find(
      (i) => i.source === 'debian' && i.language === 'python' && i.version.startsWith('3.11'),
    );
    expect(py, JSON.stringify(installs.map((i) => `${i.source} ${i.language} ${i.version}`))).toBeDefined();
    expect(py?.version).toBe(upstream(version));
    expect(py?.where).toBe('/usr/bin/python3.11');
    expect(py?.packages).toContainEqual({ name: 'python3.11', version });
    expect(py?.match).toMatchObject({
      recipe: 'python-3.11',
      recipe_version: '3.11.2',
      kind: kindAgainst(upstream(version), '3.11.2'),
    });
  });

  it('lists the OpenJDK Debian installed with the java recipe of its series', () => {
    const jres = dpkg([
      '-W',
      '-f',
      `${field('db:Status-Abbrev')} ${field('Package')} ${field('Version')}\n`,
      'openjdk-*-jre-headless',
    ])
      .split('\n')
      .filter((l) => l.startsWith('ii '))
      .map((l) => l.split(/\s+/).slice(1));
    if (jres.length === 0)
      throw new Error(
        'this test needs an OpenJDK from Debian on the host (apt-get install openjdk-17-jre-headless)',
      );
    for (const [pkg, version] of jres as [string, string][]) {
      const series = /^openjdk-(\d+)-/.exec(pkg)?.[1] as string;
      const java = dpkg(['-L', pkg])
        .split('\n')
        .find((f) => /^\/usr\/lib\/jvm\/[^/]+\/bin\/java$/.test(f)) as string;
      const home = path.dirname(path.dirname(java));
      const found = installs.find((i) => i.where === home);
      expect(found, `${pkg} at ${home}`).toMatchObject({
        language: 'java',
        source: 'debian',
        version: upstream(version),
      });
      expect(found?.packages).toContainEqual({ name: pkg, version });
      if (existsSync(path.join(REPO, 'recipes', `java-${series}.yml`)))
        expect(found?.match).toMatchObject({ recipe: `java-${series}` });
      else expect(found?.match.kind).toBe('none');
    }
  });

  it('says where PATH takes java, as readlink -f does', () => {
    const java = execFileSync('sh', ['-c', 'command -v java || true'], { encoding: 'utf8' }).trim();
    if (!java) throw new Error('this test needs java on PATH');
    const real = execFileSync('readlink', ['-f', java], { encoding: 'utf8' }).trim();
    const entry = pathEntries.find((e) => e.command === 'java');
    expect(entry?.found).toBe(java);
    expect(real.startsWith(`${entry?.install}/`) || real === entry?.install).toBe(true);
  });

  it("lists every pyenv version in root's home", () => {
    const dir = '/root/.pyenv/versions';
    if (!existsSync(dir))
      return expect(installs.filter((i) => i.source === 'pyenv' && i.where.startsWith('/root/'))).toEqual([]);
    const names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(dir, d.name));
    expect(
      installs
        .filter((i) => i.source === 'pyenv' && i.where.startsWith(`${dir}/`))
        .map((i) => i.where)
        .sort(),
    ).toEqual(names.sort());
  });
});
