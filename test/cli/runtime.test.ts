import { appendFile, chmod, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeRunningJob } from '../helpers/jobs.js';
import { type JrtHome, jrt, makeJrtHome } from '../helpers/jrt.js';
import { makeArtifact } from '../unit/artifact/fixture.js';

async function installed(): Promise<JrtHome> {
  const sb = await makeJrtHome({ prefix: 'jrt-cli-' });
  const { file } = await makeArtifact(sb.home);
  const r = await jrt(sb, ['install', file]);
  if (r.exitCode !== 0) throw new Error(`install failed: ${r.stderr}`);
  return sb;
}

describe('jrt runtime list / info', () => {
  it('lists installed runtimes as a table and as JSON', async () => {
    const sb = await installed();
    const r = await jrt(sb, ['runtime', 'list']);
    expect(r.exitCode).toBe(0);
    const [header, row] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+LANGUAGE\s+VERSION\s+TAGS\s+SIZE\s+DESCRIPTION$/);
    expect(row).toMatch(/^demo-1\s+demo\s+1\.0\s+test\s+\d+(\.\d)? KiB\s+Test runtime demo-1$/);
    const j = await jrt(sb, ['list', '--json']);
    const rows = JSON.parse(j.stdout);
    expect(rows).toEqual([
      expect.objectContaining({ name: 'demo-1', language: 'demo', version: '1.0', tags: ['test'] }),
    ]);
    expect(rows[0].size).toBeGreaterThan(70_000);
  });

  it("shows info by name, alias or --runtime spec; unknown names get the runner's error", async () => {
    const sb = await installed();
    const r = await jrt(sb, ['info', 'demo-1-alias']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--- runtime.yml\nname: demo-1');
    expect(r.stdout).toMatch(/entries, \d+ files/);
    expect(r.stdout).toContain('base: bookworm');
    for (const spec of ['demo:1+test', 'demo:1.0+test', 'demo-1@1.0', 'demo-1']) {
      const s = await jrt(sb, ['runtime', 'info', spec, '--json']);
      expect(s.exitCode, `${spec}: ${s.stderr}`).toBe(0);
      expect(JSON.parse(s.stdout)).toMatchObject({ name: 'demo-1', language: 'demo', managed: true });
    }
    const bad = await jrt(sb, ['info', 'demo-2']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("no installed runtime matches 'demo-2'");
    expect(bad.stderr).toContain('installed: demo-1; closest: demo-1');
    // Tags must match, as for jrt exec: demo-1 is tagged 'test'.
    for (const spec of ['demo:1', 'demo:1+gpu']) {
      const tagged = await jrt(sb, ['verify', spec]);
      expect(tagged.exitCode).toBe(2);
      expect(tagged.stderr).toContain(`no installed runtime matches '${spec}'`);
    }
  });

  it('a damaged runtime.json is not trusted: runtime.yml is read, and verify reports it', async () => {
    const sb = await installed();
    await writeFile(path.join(sb.root, 'demo', 'demo-1', 'runtime.json'), '{"name": "dem');
    const l = await jrt(sb, ['list', '--json']);
    expect(l.exitCode).toBe(0);
    expect(JSON.parse(l.stdout)).toEqual([
      expect.objectContaining({ name: 'demo-1', description: 'Test runtime demo-1' }),
    ]);
    const v = await jrt(sb, ['verify', 'demo-1', '--json']);
    expect(v.exitCode).toBe(1);
    expect(JSON.parse(v.stdout).runtimes[0].modified).toEqual([
      { path: 'runtime.json', reason: expect.stringMatching(/^size 13, manifest says \d+$/) },
      {
        path: 'runtime.json',
        reason: expect.stringMatching(/^cannot be compared with runtime\.yml: .*JSON/),
      },
    ]);
  });

  it('still lists and verifies a runtime whose runtime.yml is damaged', async () => {
    const sb = await installed();
    await writeFile(path.join(sb.root, 'demo', 'demo-1', 'runtime.yml'), 'name: [dem');
    const l = await jrt(sb, ['list', '--json']);
    expect(l.exitCode).toBe(0);
    expect(JSON.parse(l.stdout)).toEqual([
      expect.objectContaining({
        name: 'demo-1',
        description: expect.stringContaining('cannot read its runtime description'),
      }),
    ]);
    const i = await jrt(sb, ['info', 'demo-1']);
    expect(i.exitCode).toBe(0);
    expect(i.stdout).toContain('DAMAGED: cannot read its runtime description');
    const v = await jrt(sb, ['verify', 'demo-1', '--json']);
    expect(v.exitCode).toBe(1);
    expect(JSON.parse(v.stdout).runtimes[0].modified).toEqual([
      { path: 'runtime.yml', reason: expect.stringMatching(/^size 10, manifest says \d+$/) },
      { path: 'runtime.json', reason: expect.stringMatching(/^cannot be compared with runtime\.yml: /) },
    ]);
  });
});

describe('jrt runtime verify', () => {
  it('reports a flipped byte, a deleted file, an added file and a mode change, with exit 1', async () => {
    const sb = await installed();
    const dir = path.join(sb.root, 'demo', 'demo-1');
    expect((await jrt(sb, ['verify'])).exitCode).toBe(0);
    const lib = path.join(dir, 'rootfs/usr/lib/libdemo.so.1');
    const bytes = await readFile(lib);
    bytes[100] = (bytes[100] as number) ^ 0xff;
    await writeFile(lib, bytes);
    await unlink(path.join(dir, 'rootfs/etc/ssl/certs/ca.pem'));
    await writeFile(path.join(dir, 'rootfs/usr/bin/intruder'), 'x');
    await chmod(path.join(dir, 'rootfs/usr/bin/hello'), 0o777);
    const r = await jrt(sb, ['verify', 'demo-1', '--json']);
    expect(r.exitCode).toBe(1);
    const rep = JSON.parse(r.stdout).runtimes[0];
    expect(rep.ok).toBe(false);
    expect(rep.modified).toEqual([
      { path: 'rootfs/usr/bin/hello', reason: 'mode 777, manifest says 755' },
      { path: 'rootfs/usr/lib/libdemo.so.1', reason: 'contents differ (sha256)' },
    ]);
    expect(rep.missing).toEqual(['rootfs/etc/ssl/certs/ca.pem']);
    expect(rep.extra).toEqual(['rootfs/usr/bin/intruder']);
    const human = await jrt(sb, ['verify']);
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toContain('demo-1: DAMAGED');
    expect(human.stdout).toContain('missing:  rootfs/etc/ssl/certs/ca.pem');
  });

  it('each kind of damage alone fails verify', async () => {
    for (const damage of ['append', 'delete', 'add'] as const) {
      const sb = await installed();
      const dir = path.join(sb.root, 'demo', 'demo-1');
      if (damage === 'append') await appendFile(path.join(dir, 'runtime.yml'), '#');
      if (damage === 'delete') await rm(path.join(dir, 'rootfs/usr/lib/empty'));
      if (damage === 'add') await mkdir(path.join(dir, 'rootfs/new-dir'));
      const r = await jrt(sb, ['verify', '--json']);
      expect(r.exitCode, damage).toBe(1);
    }
  });
});

describe('jrt runtime remove', () => {
  it('removes the symlink and the directory', async () => {
    const sb = await installed();
    const r = await jrt(sb, ['remove', 'demo-1']);
    expect(r.exitCode).toBe(0);
    expect((await jrt(sb, ['list', '--json'])).stdout.trim()).toBe('[]');
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(path.join(sb.root, 'demo'))).toEqual(['.jrt']);
    expect(await readdir(path.join(sb.root, 'demo', '.jrt'))).toEqual([]);
  });

  it('refuses while a running job uses the runtime, unless --force', async () => {
    const sb = await installed();
    const job = await fakeRunningJob(sb.state, path.join(sb.root, 'demo', 'demo-1'));
    try {
      const r = await jrt(sb, ['remove', 'demo-1']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`used by running job(s) pid ${job.pid}`);
      expect((await jrt(sb, ['verify', 'demo-1'])).exitCode).toBe(0);
      const f = await jrt(sb, ['remove', 'demo-1', '--force']);
      expect(f.exitCode).toBe(0);
    } finally {
      await job.end();
    }
  });
});
