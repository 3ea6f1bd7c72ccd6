/**
 * Runtimes laid down by Joblet's own tools, in each of its layouts and eras (docs/joblet.md): jrt
 * lists them by runtime.yml's name, language and version, runs a real dynamically linked program in
 * each (the host's `ls`), skips mount sources that do not exist with a warning, gives a runtime
 * that brings no root of its own the host's /lib* read-only, and removes one only with --force.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireSandboxHost } from '../../fixtures/runtimes/host-runtime.js';
import { type JrtHome, jrt, jrtExec, makeJrtHome } from '../../helpers/jrt.js';

let t: JrtHome;

/** `dir/<rel>` made a read-only bind of the host's /usr (a root of the runtime's own, for the test). */
async function hostUsrAt(dir: string, rel: string): Promise<void> {
  const at = path.join(dir, rel);
  await mkdir(at, { recursive: true });
  execFileSync('mount', ['--bind', '/usr', at]);
  t.mounts.push(at);
  execFileSync('mount', ['-o', 'remount,bind,ro', at]);
}

beforeAll(async () => {
  requireSandboxHost();
  t = await makeJrtHome({ prefix: 'jrt-joblet-layouts-' });
  // First era, <base>/<lang>/<name>/: only its own program tree, linked against the host's libraries.
  const legacy = path.join(t.root, 'python', 'legacy-ls');
  await mkdir(path.join(legacy, 'bin'), { recursive: true });
  await copyFile('/usr/bin/ls', path.join(legacy, 'bin', 'ls'));
  await writeFile(
    path.join(legacy, 'runtime.yml'),
    [
      'name: python-3.11-legacy',
      'language: python',
      'version: 3.11',
      'mounts:',
      '  - { source: bin, target: /usr/local/bin, readonly: true }',
      '  - { source: lib/python3.11, target: /usr/local/lib/python3.11, readonly: true }',
      '',
    ].join('\n'),
  );
  // Joblet's builder, <base>/<name>/<version>/: a root of its own, and sources its scripts never made.
  const built = path.join(t.root, 'openjdk-21', '1.3.1');
  await hostUsrAt(built, 'isolated/usr');
  await writeFile(
    path.join(built, 'runtime.yml'),
    [
      'name: openjdk-21',
      'language: java',
      'version: "21"',
      'mounts:',
      '  - { source: isolated/usr, target: /usr, readonly: true }',
      '  - { source: isolated/usr/bin, target: /bin, readonly: true }',
      '  - { source: isolated/usr/lib, target: /lib, readonly: true }',
      '  - { source: isolated/usr/lib64, target: /lib64, readonly: true }',
      '  - { source: isolated/etc/java-21-openjdk, target: /etc/java-21-openjdk, readonly: true }',
      '  - { source: isolated/usr/lib/jvm/java-21-openjdk-amd64/conf, target: /usr/lib/jvm/conf, readonly: true }',
      '',
    ].join('\n'),
  );
  // Joblet's setup scripts, flat <base>/<name>/.
  const flat = path.join(t.root, 'node-18');
  await hostUsrAt(flat, 'usr');
  await writeFile(
    path.join(flat, 'runtime.yml'),
    [
      'name: node-18',
      'language: node',
      'version: "18"',
      'mounts:',
      '  - { source: usr, target: /usr, readonly: true }',
      '  - { source: usr/lib, target: /lib, readonly: true }',
      '  - { source: usr/lib64, target: /lib64, readonly: true }',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await t?.dispose();
});

describe("runtimes in Joblet's layouts", () => {
  it('are listed by the name, language and version their runtime.yml gives', async () => {
    const r = await jrt(t, ['runtime', 'list', '--json']);
    expect(r.stderr).toBe('');
    const rows = (JSON.parse(r.stdout) as Record<string, unknown>[]).map((x) => [
      x.name,
      x.language,
      x.version,
      x.layout,
      x.foreign,
    ]);
    expect(rows).toEqual([
      ['node-18', 'node', '18', 'flat', true],
      ['openjdk-21', 'java', '21', 'name-version', true],
      ['python-3.11-legacy', 'python', '3.11', 'language', true],
    ]);
    const human = await jrt(t, ['runtime', 'list']);
    expect(human.stdout).toMatch(/^openjdk-21 +java +21 /m);
  });

  it.each([
    ['node:18', '/usr/bin/ls'],
    ['openjdk-21', '/usr/bin/ls'],
    ['python:3.11', '/usr/local/bin/ls'],
  ])('%s runs the dynamically linked %s', async (spec, ls) => {
    const r = await jrtExec(t, [`--runtime=${spec}`, '--', ls, '-d', '/usr/local/bin', '/proc/self']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\/proc\/self/);
  });

  it('skips a mount source that does not exist, with a warning naming it, as Joblet does', async () => {
    const r = await jrtExec(t, ['--runtime=openjdk-21', '--', '/usr/bin/ls', '/etc']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(
      "jrt: warning: runtime mount source 'isolated/etc/java-21-openjdk' does not exist in",
    );
    expect(r.stderr).toContain('skipped (not mounted at /etc/java-21-openjdk)');
  });

  it("gives a runtime with no root of its own the host's /lib* read-only, and nothing else of the host", async () => {
    const r = await jrtExec(t, ['--runtime=python-3.11-legacy', '--', '/usr/local/bin/ls', '/', '/usr']);
    expect(r.stderr).toContain("'lib/python3.11' does not exist");
    expect(r.exitCode).toBe(0);
    const [root, usr] = r.stdout.split('\n\n');
    expect(root).toContain('lib64');
    expect(usr).toBe('/usr:\nlocal\n');
  });

  it('removes a runtime jrt did not install only with --force, leaving no empty <name>/', async () => {
    const refused = await jrt(t, ['runtime', 'remove', 'openjdk-21']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("was not installed by jrt (Joblet's name-version layout)");
    expect(await readdir(path.join(t.root, 'openjdk-21'))).toEqual(['1.3.1']);
    // The fixture's bind of the host's /usr must go first: removal never crosses into another filesystem.
    const at = t.mounts.findIndex((x) => x.includes('openjdk-21'));
    execFileSync('umount', t.mounts.splice(at, 1));
    const forced = await jrt(t, ['runtime', 'remove', 'openjdk-21', '--force']);
    expect(forced.stderr).toBe('');
    expect(forced.exitCode).toBe(0);
    expect(await readdir(t.root)).not.toContain('openjdk-21');
  });
});
