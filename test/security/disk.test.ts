/**
 * `jrt gc` and `jrt volume` against what runs and what jobs plant: a real job holding a runtime
 * version while gc runs, symlinks planted in jrt's cache and runtimes dirs, and volumes (which jobs
 * write) removed while a job uses them.
 */
import { copyFile, mkdir, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sha256Bytes } from '../../src/core/hash.js';
import type { RuntimeYml } from '../../src/core/runtime-format.js';
import { deriveRuntimeJson } from '../../src/core/runtime-identity.js';
import { runningJobs } from '../../src/runner/jobs.js';
import { requireSandboxHost } from '../fixtures/runtimes/host-runtime.js';
import { type JrtHome, jrt, makeJrtHome, startJrt } from '../helpers/jrt.js';
import { tempDir } from '../helpers/temp.js';

let h: JrtHome;
const VERSIONS = () => path.join(h.root, 'tool', '.jrt');

beforeAll(async () => {
  requireSandboxHost();
  h = await makeJrtHome({ prefix: 'jrt-disk-sec-' });
  const conf = path.join(h.home, 'gc.conf');
  await writeFile(conf, 'version_grace = 0s\n', { mode: 0o644 });
  h.env.JRT_GC_CONFIG = conf;
});
afterAll(async () => {
  await h?.dispose();
});

/**
 * A runtime version with its own copies of sh, sleep, cat and libc (no bind mount: gc may remove
 * it once nothing uses it), placed as the installer places one: <lang>/.jrt/<name>@<digest12>.
 */
async function copiedVersion(digest12: string): Promise<string> {
  const dir = path.join(VERSIONS(), `tool-1@${digest12}`);
  const usr = path.join(dir, 'rootfs', 'usr');
  for (const d of ['bin', 'lib/x86_64-linux-gnu', 'lib64'])
    await mkdir(path.join(usr, d), { recursive: true });
  await copyFile('/usr/bin/dash', path.join(usr, 'bin', 'sh'));
  for (const b of ['sleep', 'cat']) await copyFile(`/usr/bin/${b}`, path.join(usr, 'bin', b));
  await copyFile('/lib/x86_64-linux-gnu/libc.so.6', path.join(usr, 'lib/x86_64-linux-gnu/libc.so.6'));
  await copyFile('/lib64/ld-linux-x86-64.so.2', path.join(usr, 'lib64/ld-linux-x86-64.so.2'));
  const yml: RuntimeYml = {
    name: 'tool-1',
    language: 'tool',
    version: '1',
    description: 'copied tools',
    mounts: [
      { source: 'rootfs/usr', target: '/usr', readonly: true },
      { source: 'rootfs/usr/bin', target: '/bin', readonly: true },
      { source: 'rootfs/usr/lib', target: '/lib', readonly: true },
      { source: 'rootfs/usr/lib64', target: '/lib64', readonly: true },
    ],
    environment: {},
    requirements: { architectures: ['amd64'] },
    tags: [],
    aliases: [],
    entrypoints: {},
    build_info: {
      jrt_version: 'test',
      built_at: '1970-01-01T00:00:00Z',
      base: 'host',
      recipe_digest: '',
      lock_digest: '',
    },
  };
  const text = stringify(yml);
  await writeFile(path.join(dir, 'runtime.yml'), text);
  await writeFile(path.join(dir, 'runtime.json'), deriveRuntimeJson(yml, sha256Bytes(text)));
  return dir;
}

/** Point tool-1 at `version` as an install's switch does (a new .jrt-current renamed over the old). */
async function switchTo(version: string): Promise<void> {
  const nameDir = path.join(h.root, 'tool', 'tool-1');
  await mkdir(nameDir, { recursive: true });
  for (const e of ['runtime.yml', 'runtime.json', 'rootfs'])
    await symlink(path.join('.jrt-current', e), path.join(nameDir, e)).catch(() => {});
  await symlink(path.join('..', '.jrt', path.basename(version)), path.join(nameDir, '.jrt-link-test'));
  await rename(path.join(nameDir, '.jrt-link-test'), path.join(nameDir, '.jrt-current'));
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

async function waitForJob(): Promise<void> {
  for (let i = 0; i < 500 && (await runningJobs(h.state)).length === 0; i++)
    await new Promise((r) => setTimeout(r, 20));
}

describe('gc racing a running job', () => {
  it('keeps the version a running job started on after an update switched away from it; removes it once the job ended', async () => {
    const v1 = await copiedVersion('aaaaaaaaaaaa');
    const v2 = await copiedVersion('bbbbbbbbbbbb');
    await switchTo(v1);
    const job = startJrt(
      [
        'exec',
        '--runtime=tool-1',
        '--',
        'sh',
        '-c',
        'echo ready >&2; sleep 2; cat /usr/lib64/ld-linux-x86-64.so.2 > /dev/null && echo still-runs',
      ],
      { env: h.env, cwd: h.work },
    );
    await job.stderrContains('ready');
    await waitForJob();
    await switchTo(v2);

    const during = await jrt(h, ['gc', '--json']);
    expect(during.exitCode, during.stderr).toBe(0);
    const r = JSON.parse(during.stdout);
    expect(r.removed.map((i: { path: string }) => i.path)).not.toContain(v1);
    expect(r.kept.find((i: { path: string }) => i.path === v1)?.reason).toMatch(
      /^running job pid \d+ uses it$/,
    );
    expect(await exists(path.join(v1, 'rootfs', 'usr', 'bin', 'sleep'))).toBe(true);

    const done = await job.done;
    expect(done.stdout, done.stderr).toBe('still-runs\n');
    expect(done.exitCode).toBe(0);

    const after = JSON.parse((await jrt(h, ['gc', '--json'])).stdout);
    expect(after.removed.map((i: { path: string }) => i.path)).toEqual([v1]);
    expect(await exists(v1)).toBe(false);
    const next = await jrt(h, ['exec', '--runtime=tool-1', '--', 'sh', '-c', 'echo on-v2']);
    expect(next.stdout).toBe('on-v2\n');
  });
});

describe('names planted in jrt dirs', () => {
  it('gc removes a planted symlink itself, never what it points at, and never follows one inside a tree it removes', async () => {
    const outside = await tempDir('jrt-outside-');
    await writeFile(path.join(outside, 'precious'), 'keep me');
    const dead = 999_999_99;
    await mkdir(path.join(h.cache, 'tmp'), { recursive: true });
    // A dead build's name that is a link out of the cache, and a dead build dir holding links out.
    await symlink(outside, path.join(h.cache, 'tmp', `build-${dead}-0000aaaa`));
    await mkdir(path.join(h.cache, 'tmp', `build-${dead}-0000bbbb`, 'root'), { recursive: true });
    await symlink(outside, path.join(h.cache, 'tmp', `build-${dead}-0000bbbb`, 'root', 'out'));
    await symlink(
      path.join(outside, 'precious'),
      path.join(h.cache, 'tmp', `build-${dead}-0000bbbb`, 'file'),
    );
    // An old version's name that is a link out of the runtimes root.
    await mkdir(VERSIONS(), { recursive: true });
    await symlink(outside, path.join(VERSIONS(), 'tool-1@cccccccccccc'));

    const r = await jrt(h, ['gc', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const removed = JSON.parse(r.stdout).removed.map((i: { path: string }) => path.basename(i.path));
    expect(removed).toEqual(
      expect.arrayContaining([`build-${dead}-0000aaaa`, `build-${dead}-0000bbbb`, 'tool-1@cccccccccccc']),
    );
    expect(await readdir(outside)).toEqual(['precious']);
    expect(await exists(path.join(VERSIONS(), 'tool-1@cccccccccccc'))).toBe(false);
  });

  it("gc never lists a directory of jrt's that is a symlink: what it points at is not judged", async () => {
    const elsewhere = await tempDir('jrt-elsewhere-');
    const dead = 999_999_98;
    await mkdir(path.join(elsewhere, `build-${dead}-0000cccc`));
    await writeFile(path.join(elsewhere, `build-${dead}-0000cccc`, 'data'), 'x');
    await rm(path.join(h.cache, 'tmp'), { recursive: true, force: true });
    await symlink(elsewhere, path.join(h.cache, 'tmp'));
    try {
      const r = await jrt(h, ['gc', '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).removed).toEqual([]);
      expect(await readdir(path.join(elsewhere, `build-${dead}-0000cccc`))).toEqual(['data']);
    } finally {
      await rm(path.join(h.cache, 'tmp'), { force: true });
    }
  });
});

describe('volumes of running jobs', () => {
  it('jrt volume remove refuses a volume a running job mounts, and removes it once the job ended', async () => {
    if (!(await exists(path.join(h.root, 'tool', 'tool-1'))))
      await switchTo(await copiedVersion('eeeeeeeeeeee'));
    const job = startJrt(
      [
        'exec',
        '--runtime=tool-1',
        '--volume',
        'work-data:/data',
        '--',
        'sh',
        '-c',
        'echo one > /data/f; echo ready >&2; sleep 2; echo two >> /data/f; cat /data/f',
      ],
      { env: h.env, cwd: h.work },
    );
    await job.stderrContains('ready');
    await waitForJob();
    const refused = await jrt(h, ['volume', 'remove', 'work-data']);
    expect(refused.exitCode, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/work-data is mounted by running job\(s\) pid \d+/);
    const done = await job.done;
    expect(done.stdout, done.stderr).toBe('one\ntwo\n');
    const removed = await jrt(h, ['volume', 'remove', 'work-data']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(await exists(path.join(h.state, 'volumes', 'work-data'))).toBe(false);
  });
});
