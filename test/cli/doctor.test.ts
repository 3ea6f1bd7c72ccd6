/**
 * `jrt doctor` through the bundle, on this host. The mirror and registry point at loopback: a
 * server this test runs (reachable) and a closed port (unreachable), so no traffic leaves the host.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_IDS, type Check } from '../../src/doctor/checks.js';
import type { JobletReport } from '../../src/doctor/joblet.js';
import { type JrtHome, type JrtResult, makeJrtHome, runJrt } from '../helpers/jrt.js';

let h: JrtHome;
let tmp: string;
let server: Server;
let mirror: string;
let closed: string;
const requests: string[] = [];

function jrt(args: string[]): Promise<JrtResult> {
  return runJrt(args, { env: { ...h.env, JRT_DEBIAN_MIRROR: mirror, JRT_NPM_REGISTRY: closed } });
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, name)));
}

beforeAll(async () => {
  h = await makeJrtHome({ prefix: 'jrt-cli-doctor-' });
  tmp = h.home;
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`;
  // A port that was free a moment ago and has no listener now.
  const spare = createServer();
  await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
  closed = `http://127.0.0.1:${(spare.address() as AddressInfo).port}`;
  await new Promise((r) => spare.close(r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await h?.dispose();
});

describe('jrt doctor', () => {
  it('warns when a filesystem of jrt is above usage_warn and names what jrt gc would free', async () => {
    const blob = path.join(h.cache, 'blobs', 'sha256', 'e'.repeat(64));
    await mkdir(path.dirname(blob), { recursive: true });
    await writeFile(blob, Buffer.alloc(100_000, 1));
    const conf = path.join(h.home, 'gc.conf');
    writeFileSync(conf, 'usage_warn = 0%\n', { mode: 0o644 });
    try {
      const r = await runJrt(['doctor', '--json'], {
        env: { ...h.env, JRT_DEBIAN_MIRROR: mirror, JRT_NPM_REGISTRY: closed, JRT_GC_CONFIG: conf },
      });
      const usage = (JSON.parse(r.stdout) as { checks: Check[] }).checks.find((c) => c.id === 'disk-usage');
      expect(usage).toMatchObject({ ok: false, level: 'warn' });
      expect(usage?.message).toMatch(
        /^above usage_warn 0%: .+; jrt gc would free 100\.0 KiB \(1 item\(s\): blob 100\.0 KiB\)$/,
      );
      expect(blob && existsSync(blob)).toBe(true);
    } finally {
      await rm(blob, { force: true });
      rmSync(conf, { force: true });
    }
  });

  it('--json reports every check, and the exit status follows the error-level checks', async () => {
    const r = await jrt(['doctor', '--json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    for (const c of report.checks) {
      expect(['error', 'warn']).toContain(c.level);
      expect(c.message.length).toBeGreaterThan(0);
      if (!c.ok) expect(c.fix.length, `${c.id} needs a fix`).toBeGreaterThan(0);
    }
    const errorsFail = report.checks.some((c) => !c.ok && c.level === 'error');
    expect(report.ok).toBe(!errorsFail);
    expect(r.exitCode).toBe(errorsFail ? 1 : 0);

    // Facts about this host, established independently of jrt.
    expect(byId.root?.ok).toBe(process.getuid?.() === 0);
    expect(byId.bwrap?.ok).toBe(onPath('bwrap'));
    expect(byId.mmdebstrap?.ok).toBe(onPath('mmdebstrap'));
    expect(byId.gpgv?.ok).toBe(onPath('gpgv'));
    expect(byId.xz?.ok).toBe(onPath('xz'));
    expect(byId.slirp4netns?.ok).toBe(onPath('slirp4netns'));
    expect(byId['disk-root']?.message).toContain(path.join(tmp, 'runtimes'));
    expect(byId['disk-root']?.message).toContain(`(on ${tmp})`);

    // The mirror answered (our server saw the probe); the registry's port is closed.
    expect(byId['debian-mirror']).toMatchObject({ ok: true, level: 'warn' });
    expect(byId['debian-mirror']?.message).toBe(`Debian mirror ${mirror} answers (HTTP 200)`);
    expect(requests).toContain('HEAD /debian');
    expect(byId['npm-registry']).toMatchObject({ ok: false, level: 'warn' });
    expect(byId['npm-registry']?.message).toContain(`npm registry ${closed} is unreachable`);
  });

  it('prints a human check list with a summary on stdout', async () => {
    const r = await jrt(['doctor']);
    const lines = r.stdout.trimEnd().split('\n');
    for (const id of CHECK_IDS)
      expect(
        lines.some((l) => new RegExp(`^(ok  |FAIL|warn)  ${id} `).test(l)),
        id,
      ).toBe(true);
    const indent = ' '.repeat(Math.max(...CHECK_IDS.map((i) => i.length)) + 8);
    expect(lines).toContain(
      `${indent}fix: check the network and 'npm config get registry' (or set JRT_NPM_REGISTRY)`,
    );
    expect(lines.at(-1)).toMatch(/^jrt doctor: (ready|\d+ problems? to fix)/);
  });

  it("reports the host's exec.conf: its settings, and a value every job would refuse", async () => {
    const conf = h.env.JRT_EXEC_CONFIG as string;
    const check = async () =>
      (JSON.parse((await jrt(['doctor', '--json'])).stdout).checks as Check[]).find(
        (c) => c.id === 'exec-config',
      );
    try {
      writeFileSync(conf, 'memory = 2g\npids = 4096\n');
      expect(await check()).toMatchObject({
        ok: true,
        message: `${conf}: memory 2g, pids 4096 (every job's defaults; flags override)`,
      });
      writeFileSync(conf, 'memory = 2g\ntimeout = forever\n');
      const bad = await check();
      expect(bad?.ok).toBe(false);
      expect(bad?.message).toContain(`${conf}:2: timeout: 'forever' is not a duration`);
    } finally {
      rmSync(conf, { force: true });
    }
  });

  it('refuses arguments', async () => {
    const r = await jrt(['doctor', 'extra']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('doctor:');
  });
});

describe('jrt doctor --joblet', () => {
  const write = async (rel: string, yml: string) => {
    await mkdir(path.join(h.root, rel), { recursive: true });
    await writeFile(path.join(h.root, rel, 'runtime.yml'), yml);
  };
  const yml = (name: string, language: string, version: string, tags = '[]') =>
    `name: "${name}"\nlanguage: "${language}"\nversion: "${version}"\ntags: ${tags}\nmounts: []\n`;

  it('reports each spec Joblet resolves differently and each clash, with a fix, and exits 1', async () => {
    await rm(h.root, { recursive: true, force: true });
    await write('node/node-18', yml('node-18', 'node', '18.20.8'));
    await write('java/java-17', yml('java-17', 'java', '17'));
    await write('python/python-3.11', yml('python-3.11', 'python', '3.11'));
    await write('python/python-3.11-ml', yml('python-3.11-ml', 'python', '3.11', '[ml]'));
    const r = await jrt(['doctor', '--joblet', '--json']);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as JobletReport;
    expect(report.specs.filter((s) => !s.same).map((s) => s.spec)).toEqual(['node:18', 'python:3.11+ml']);
    expect(report.clashes.map((c) => c.names)).toEqual([['python-3.11', 'python-3.11-ml']]);
    const human = await jrt(['doctor', '--joblet']);
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toMatch(/DIFF {2}node:18 +jrt: node-18, Joblet: \(none\)/);
    expect(human.stdout).toMatch(/fix: .*python-3\.11-ml/);
    expect(human.stdout).toContain('2 of 8 specs resolve differently under Joblet, 1 clash');
  });

  it('warns about a version directory no runtime points at (what rnx runtime remove leaves)', async () => {
    await rm(h.root, { recursive: true, force: true });
    await write('node/node-18', yml('node-18', 'node', '18'));
    await mkdir(path.join(h.root, 'node', '.jrt', 'node-18@0123456789ab'), { recursive: true });
    await mkdir(path.join(h.root, 'node', '.jrt', 'node-20@0123456789ab'), { recursive: true });
    const r = await jrt(['doctor', '--joblet', '--json']);
    expect((JSON.parse(r.stdout) as JobletReport).orphans).toEqual([
      path.join(h.root, 'node', '.jrt', 'node-20@0123456789ab'),
    ]);
    expect(r.exitCode).toBe(0);
    const human = await jrt(['doctor', '--joblet']);
    expect(human.stdout).toContain('node-20@0123456789ab: no runtime points at this version any more');
    expect(human.stdout).toContain("fix: the next 'jrt install' removes it");
  });

  it('exits 0 when Joblet and jrt agree on every spec', async () => {
    await rm(h.root, { recursive: true, force: true });
    await write('node/node-18', yml('node-18', 'node', '18'));
    await write('java/java-21', yml('java-21', 'java', '21'));
    const r = await jrt(['doctor', '--joblet']);
    expect(r.stdout).toContain('Joblet resolves all 4 specs as jrt does');
    expect(r.exitCode).toBe(0);
  });
});
