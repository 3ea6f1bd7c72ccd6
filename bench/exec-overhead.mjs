#!/usr/bin/env node
// What a job's sandbox costs at start: medians of N runs of /bin/true, bare, in bwrap with jrt's
// binds launched directly, through `jrt exec` (bundle) on a fixture runtime, and in `runc run`.
// Needs root and a built bundle (npm run build). Usage: node bench/exec-overhead.mjs [N]
// The cases run in turn (round robin), N times each; the table gives each one's median.
// JRT_BENCH_BEFORE=/path/to/other/dist/jrt.cjs (dist/jrt.mjs in builds before the launcher)[,...] adds each bundle's `jrt exec` (e.g. an older build) as a row.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 30);
const bundle = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/jrt.cjs');
if (process.getuid() !== 0) throw new Error('the benchmark needs root (bind mounts, cgroups)');
if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run 'npm run build' first`);

const base = await mkdtemp(path.join(os.tmpdir(), 'jrt-bench-'));
await chmod(base, 0o755);
const mounts = [];
try {
  // A fixture runtime: rootfs/usr is the host's /usr, read-only.
  const rtDir = path.join(base, 'root', 'bench', 'bench-1');
  const usr = path.join(rtDir, 'rootfs', 'usr');
  await mkdir(usr, { recursive: true });
  execFileSync('mount', ['--bind', '/usr', usr]);
  mounts.push(usr);
  execFileSync('mount', ['-o', 'remount,bind,ro', usr]);
  const rtMounts = [
    ['rootfs/usr', '/usr'],
    ['rootfs/usr/bin', '/bin'],
    ['rootfs/usr/lib', '/lib'],
    ['rootfs/usr/lib64', '/lib64'],
  ];
  const description = {
    name: 'bench-1',
    language: 'bench',
    version: '1',
    mounts: rtMounts.map(([source, target]) => ({ source, target, readonly: true })),
    environment: {},
    requirements: { architectures: ['amd64'] },
    tags: [],
    aliases: [],
    entrypoints: {},
  };
  // runtime.yml (JSON text is YAML), and runtime.json as the installer derives it: stamped with the
  // sha256 of the runtime.yml bytes, so `jrt exec` takes its fast path (src/core/runtime-identity.ts).
  const ymlText = `${JSON.stringify(description)}\n`;
  await writeFile(path.join(rtDir, 'runtime.yml'), ymlText);
  const runtime_yml_sha256 = createHash('sha256').update(ymlText).digest('hex');
  await writeFile(path.join(rtDir, 'runtime.json'), JSON.stringify({ ...description, runtime_yml_sha256 }));
  // The same runtime as 0.2.0 installed it, alone in a root of its own: runtime.json without the
  // stamp, so jrt exec loads the YAML parser and reads runtime.yml (the `unstamped` row).
  const oldRoot = path.join(base, 'root-unstamped');
  const oldDir = path.join(oldRoot, 'bench', 'bench-1');
  await mkdir(oldDir, { recursive: true });
  const oldUsr = path.join(oldDir, 'rootfs', 'usr');
  await mkdir(oldUsr, { recursive: true });
  execFileSync('mount', ['--bind', '-o', 'ro', '/usr', oldUsr]);
  mounts.push(oldUsr);
  await writeFile(path.join(oldDir, 'runtime.yml'), ymlText);
  await writeFile(path.join(oldDir, 'runtime.json'), JSON.stringify(description));
  // Five more runtimes in each root, as on a host with the shipped set: jrt exec reads every
  // installed runtime's description to resolve --runtime.
  for (let v = 2; v <= 6; v++) {
    const other = { ...description, name: `bench-${v}`, version: String(v) };
    const text = `${JSON.stringify(other)}\n`;
    const stamp = createHash('sha256').update(text).digest('hex');
    for (const [r, json] of [
      [path.join(base, 'root'), { ...other, runtime_yml_sha256: stamp }],
      [oldRoot, other],
    ]) {
      const d = path.join(r, 'bench', `bench-${v}`);
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, 'runtime.yml'), text);
      await writeFile(path.join(d, 'runtime.json'), JSON.stringify(json));
    }
  }
  const work = path.join(base, 'work');
  await mkdir(work, { mode: 0o777 });
  await chmod(work, 0o777);
  const env = {
    PATH: process.env.PATH,
    JRT_ROOT: path.join(base, 'root'),
    JRT_STATE: path.join(base, 'state'),
    JRT_LOG: path.join(base, 'log'),
    JRT_CACHE: path.join(base, 'cache'),
  };

  // The same sandbox jrt builds (see src/runner/plan.ts), without jrt and without cgroups.
  const bwrapArgs = [
    ...['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', 'bwrap'],
    ...['--unshare-all', '--unshare-user', '--uid', '65534', '--gid', '65534', '--hostname', 'jrt'],
    ...['--cap-drop', 'ALL', '--new-session', '--die-with-parent'],
    ...rtMounts.flatMap(([s, t]) => ['--ro-bind', path.join(rtDir, s), t]),
    ...['--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp', '--bind', work, '/work'],
    ...['--chdir', '/work', '--clearenv', '--setenv', 'PATH', '/usr/bin:/bin', '--', '/bin/true'],
  ];

  const cases = [
    ['bare `/bin/true`', '/bin/true', []],
    ['`node -e 0` (Node start, for reference)', process.execPath, ['-e', '0']],
    ['`bwrap` with the same binds, direct', bwrapArgs[0], bwrapArgs.slice(1)],
    ['`jrt --version` (bundle start, for reference)', process.execPath, [bundle, '--version']],
    [
      '`jrt exec -- /bin/true` (bundle)',
      process.execPath,
      [bundle, 'exec', '--runtime=bench:1', '--', '/bin/true'],
    ],
    [
      '`jrt exec -- /bin/true`, runtime.json unstamped (installed by 0.2.0)',
      process.execPath,
      [bundle, 'exec', '--runtime=bench:1', '--', '/bin/true'],
      { JRT_ROOT: oldRoot },
    ],
    [
      '`jrt exec --memory 256m --pids 64 -- /bin/true`',
      process.execPath,
      [bundle, 'exec', '--runtime=bench:1', '--memory', '256m', '--pids', '64', '--', '/bin/true'],
    ],
  ];
  // --network=web needs slirp4netns; without it the row is left out (and the table says so).
  const slirp = spawnSync('sh', ['-c', 'command -v slirp4netns']).status === 0;
  if (slirp) {
    cases.push([
      '`jrt exec --network=web -- /bin/true` (slirp4netns)',
      process.execPath,
      [bundle, 'exec', '--runtime=bench:1', '--network=web', '--', '/bin/true'],
    ]);
  } else console.error('slirp4netns is not installed: no --network=web row');

  for (const before of (process.env.JRT_BENCH_BEFORE ?? '').split(',').filter(Boolean)) {
    cases.push([
      `\`jrt exec -- /bin/true\` (${path.basename(path.dirname(path.dirname(before)))} bundle)`,
      process.execPath,
      [before, 'exec', '--runtime=bench:1', '--', '/bin/true'],
    ]);
  }

  // runc: a minimal bundle whose rootfs holds the same /usr.
  const runc = spawnSync('sh', ['-c', 'command -v runc']).status === 0;
  if (runc) {
    const b = path.join(base, 'runc');
    const rootfs = path.join(b, 'rootfs');
    await mkdir(path.join(rootfs, 'usr'), { recursive: true });
    for (const d of ['proc', 'dev', 'tmp', 'sys']) await mkdir(path.join(rootfs, d));
    for (const l of ['bin', 'lib', 'lib64']) await symlink(`usr/${l}`, path.join(rootfs, l));
    execFileSync('mount', ['--bind', '-o', 'ro', '/usr', path.join(rootfs, 'usr')]);
    mounts.push(path.join(rootfs, 'usr'));
    execFileSync('runc', ['spec'], { cwd: b });
    const spec = JSON.parse(execFileSync('cat', [path.join(b, 'config.json')], { encoding: 'utf8' }));
    spec.process.terminal = false;
    spec.process.args = ['/bin/true'];
    spec.root = { path: 'rootfs', readonly: true };
    await writeFile(path.join(b, 'config.json'), JSON.stringify(spec));
    let i = 0;
    cases.push([
      '`runc run` of a minimal bundle',
      'runc',
      () => ['run', '--bundle', b, `jrt-bench-${process.pid}-${i++}`],
    ]);
  }

  // Round robin (one run of each case in turn) rather than case after case: on a shared machine the
  // load changes within seconds, and this way every case sees the same load.
  const times = cases.map(() => []);
  for (let i = 0; i < N + 2; i++) {
    cases.forEach(([label, file, args, extraEnv], c) => {
      const a = typeof args === 'function' ? args() : args;
      const t0 = process.hrtime.bigint();
      const r = spawnSync(file, a, {
        env: { ...env, ...extraEnv },
        cwd: work,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${label}: exit ${r.status} ${r.stderr}`);
      if (i >= 2) times[c].push(ms); // the first runs warm caches
    });
  }
  const rows = cases.map(([label], c) => {
    const sorted = times[c].sort((x, y) => x - y);
    return [label, sorted[Math.floor(sorted.length / 2)]];
  });
  const bare = rows[0][1];
  const bw = rows.find((r) => r[0].startsWith('`bwrap`'))[1];
  console.log(
    `Medians of ${N} runs, round robin (${os.cpus().length} CPUs, ${os.release()}, load ${os.loadavg()[0].toFixed(1)}):\n`,
  );
  console.log('| what | median ms | × bare | × bwrap |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [label, ms] of rows) {
    console.log(`| ${label} | ${ms.toFixed(1)} | ${(ms / bare).toFixed(1)} | ${(ms / bw).toFixed(2)} |`);
  }
} finally {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  await rm(base, { recursive: true, force: true });
}
