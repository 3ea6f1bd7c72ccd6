import { chmod, copyFile, lstat, readFile, readlink, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cacheArtifactFor } from '../fixtures/hosts/cached-artifact.js';
import { makeFixtureHost } from '../fixtures/hosts/fixture-host.js';
import { insertedBefore } from '../fixtures/workflows/expected.js';
import { type JrtHome, jrt, makeJrtHome, REPO } from '../helpers/jrt.js';

// The system PATH of a service (no pyenv shims): python3 is Debian's 3.11.
const SERVICE_PATH = '/usr/local/bin:/usr/bin:/bin';
const PIPELINE = path.join(REPO, 'test/fixtures/workflows/pipeline.yml');

let h: JrtHome;
let host: string;
let sizes: Record<string, number>;
const migrate = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  jrt(h, ['migrate', ...args, '--host-root', host], { PATH: `${SERVICE_PATH}:${process.env.PATH}`, ...env });

beforeAll(async () => {
  h = await makeJrtHome({ prefix: 'jrt-migrate-apply-' });
  host = path.join(h.home, 'host');
  await makeFixtureHost(host);
  // A fixture recipe set: two real recipes with their locks, and an artifact of each exact build in
  // the cache, so the install path is the real one and nothing is built or downloaded.
  sizes = {};
  for (const name of ['python-3.11', 'java-17']) {
    for (const ext of ['.yml', '.lock.json'])
      await copyFile(path.join(REPO, 'recipes', `${name}${ext}`), path.join(h.recipes, `${name}${ext}`));
    sizes[name] = (await cacheArtifactFor(path.join(h.recipes, `${name}.yml`), h.cache)).size;
  }
});

describe('jrt migrate plan and apply on a fixture host', () => {
  it('plans the runtimes that replace host installs, their disk, and the removal step as it will read after', async () => {
    const r = await migrate(['plan', '--json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.install).toEqual([
      {
        recipe: 'java-17',
        state: 'to install',
        matches: ['newer-patch'],
        replaces: ['/usr/lib/jvm/java-17-openjdk-amd64', '/home/alice/.sdkman/candidates/java/17.0.10-tem'],
        runtime_bytes: sizes['java-17'],
      },
      {
        recipe: 'python-3.11',
        state: 'to install',
        matches: ['exact'],
        replaces: ['/usr/bin/python3.11'],
        runtime_bytes: sizes['python-3.11'],
      },
    ]);
    expect(plan.disk).toMatchObject({
      runtime_bytes: (sizes['java-17'] ?? 0) + (sizes['python-3.11'] ?? 0),
      download_bytes: 0,
      unknown: [],
    });
    expect(plan.removal.commands[0]).toMatchObject({
      command: 'apt-get remove libpython3.11-stdlib openjdk-17-jre-headless python3.11 python3.11-minimal',
      alsoRemoves: ['ca-certificates-java', 'mmdebstrap', 'python3', 'python3-yaml'],
    });
    expect(plan.removal.commands[1]).toMatchObject({
      command: 'sudo -u alice -i sdk uninstall java 17.0.10-tem',
    });
    const human = await migrate(['plan']);
    expect(human.stdout).toMatch(/^java-17\s+to install\s/m);
    expect(human.stdout).toContain('printed, never run by jrt');
    expect(human.stdout).toContain('# WARNING: mmdebstrap would go too: jrt builds runtimes with it');
  });

  it('apply installs them through jrt install (Joblet config included), then prints the removal step', async () => {
    const r = await migrate(['apply', '--offline', '--json']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.runtimes.map((x: { name: string; result: string }) => [x.name, x.result])).toEqual([
      ['java-17', 'installed'],
      ['python-3.11', 'installed'],
    ]);
    expect(out.removal.commands.map((c: { command: string }) => c.command)).toEqual([
      'apt-get remove libpython3.11-stdlib openjdk-17-jre-headless python3.11 python3.11-minimal',
      'sudo -u alice -i sdk uninstall java 17.0.10-tem',
    ]);
    expect((await jrt(h, ['verify'])).stdout).toBe('java-17: ok\npython-3.11: ok\n');
    expect(parse(await readFile(h.config, 'utf8'))).toEqual({
      runtime: { enabled: true, base_path: h.root },
    });
    const again = await migrate(['apply', '--offline']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/^java-17\s+unchanged\s/m);
    expect(again.stdout).toMatch(
      /^ {2}apt-get remove libpython3\.11-stdlib openjdk-17-jre-headless python3\.11 python3\.11-minimal$/m,
    );
  });

  it('keeps what a workflow still runs from the host out of the removal step', async () => {
    const r = await migrate(['plan', '--json', '--jobs', PIPELINE]);
    const plan = JSON.parse(r.stdout);
    expect(plan.removal.commands.map((c: { command: string }) => c.command)).toEqual([
      'sudo -u alice -i sdk uninstall java 17.0.10-tem',
    ]);
    expect(plan.removal.kept).toEqual(
      expect.arrayContaining([
        {
          where: '/usr/bin/python3.11',
          why: `still run from the host by ${PIPELINE}:extract, ${PIPELINE}:train, ${PIPELINE}:weekly.rescore`,
        },
        {
          where: '/usr/lib/jvm/java-17-openjdk-amd64',
          why: `still run from the host by ${PIPELINE}:report, ${PIPELINE}:spaced`,
        },
      ]),
    );
  });
});

describe('jrt migrate jobs', () => {
  it('--dry-run prints the diff and changes nothing; without it the file gains exactly the runtime: entries', async () => {
    const file = path.join(h.work, 'pipeline.yaml');
    await copyFile(PIPELINE, file);
    await chmod(file, 0o640);
    const original = await readFile(file, 'utf8');
    const before = await stat(file);
    const dry = await migrate(['jobs', '--dry-run', file]);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain(`${file}: would change`);
    expect(dry.stdout).toContain('+    runtime: python-3.11\n     command: python3\n');
    expect(dry.stdout).toContain('-  report: {command: java');
    expect(dry.stdout).toMatch(/^legacy-export\s+\d+\s+python3\.10\s+-\s+no matching runtime$/m);
    expect(await readFile(file, 'utf8')).toBe(original);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);

    const r = await migrate(['jobs', '--json', file]);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout).files[0];
    expect(report.changed).toBe(true);
    expect(
      report.jobs.map((j: { job: string; action: string; runtime?: string }) => [
        j.job,
        j.action,
        j.runtime ?? null,
      ]),
    ).toEqual([
      ['extract', 'added', 'python-3.11'],
      ['train', 'added', 'python-3.11'],
      ['report', 'added', 'java-17'],
      ['legacy-export', 'no matching runtime', null],
      ['dashboard', 'no matching runtime', null],
      ['already-pinned', 'has a runtime', 'python-3.11-ml'],
      ['cleanup', 'not an interpreter', null],
      ['spaced', 'added', 'java-17'],
      ['weekly.rescore', 'added', 'python-3.11'],
    ]);
    const expected = insertedBefore(original, [
      ['    command: python3\n    args: ["extract', '    runtime: python-3.11\n'],
      ['    command: /usr/bin/python3.11', '    runtime: python-3.11\n'],
      ['command: java, args: [-jar, report.jar]', 'runtime: java-17, '],
      [' command: java, args: [-version] }', ' runtime: java-17,'],
      ['        command: "python3"', '        runtime: python-3.11\n'],
    ]);
    expect(await readFile(file, 'utf8')).toBe(expected);
    expect((await stat(file)).mode & 0o7777).toBe(0o640);
    const third = await migrate(['jobs', file]);
    expect(third.stdout).toContain(`${file}: unchanged`);
  });

  it('writes through a symlink to the file, keeping the link', async () => {
    const real = path.join(h.work, 'real.yaml');
    const link = path.join(h.work, 'link.yaml');
    await copyFile(PIPELINE, real);
    await symlink(real, link);
    expect((await migrate(['jobs', link])).exitCode).toBe(0);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(real);
    expect(await readFile(real, 'utf8')).toContain(
      '    runtime: python-3.11\n    command: /usr/bin/python3.11',
    );
  });

  it('refuses a file that is not a workflow before changing any of the files named', async () => {
    const good = path.join(h.work, 'good.yaml');
    await copyFile(PIPELINE, good);
    const bad = path.join(h.work, 'bad.yaml');
    await copyFile(path.join(REPO, 'package.json'), bad);
    const r = await migrate(['jobs', good, bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${bad}: no jobs: (not a Joblet workflow file)`);
    expect(await readFile(good, 'utf8')).toBe(await readFile(PIPELINE, 'utf8'));
    const missing = await migrate(['jobs', path.join(h.work, 'nope.yaml')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/cannot read workflow file .*nope\.yaml: ENOENT/);
  });
});
