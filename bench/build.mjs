#!/usr/bin/env node
// Cold and warm build time and the size of each runtime. Run by hand, as root, after `npm run build`:
//   node bench/build.mjs [RECIPE...]        (default: every recipe this machine can build)
// Cold: an empty JRT_CACHE (base root, every .deb and source downloaded). Warm: the same cache again.
// Prints a markdown table; docs/benchmarks.md records a run.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BUNDLE = path.resolve(import.meta.dirname, '../dist/jrt.cjs');
const recipes =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : ['node-18', 'java-17', 'java-21', 'python-3.13', 'python-3.11-ml', 'python-3.11'];
const UPSTREAM = { 'python-3.11-ml': '~475 MB', 'java-21': '~371 MB (openjdk-21)' };

function build(recipe, home, out) {
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    JRT_CACHE: path.join(home, 'cache'),
    JRT_LOG: path.join(home, 'log'),
    JRT_STATE: path.join(home, 'state'),
    JRT_ROOT: path.join(home, 'root'),
  };
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BUNDLE, 'build', recipe, '--out', out, '--json'], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${recipe}: build failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return { seconds, result: JSON.parse(r.stdout).artifacts[0] };
}

const rows = [];
for (const recipe of recipes) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'jrt-bench-build-'));
  // Smoke tests run as nobody, who must be able to reach the build directory under the cache.
  chmodSync(home, 0o755);
  try {
    const cold = build(recipe, home, path.join(home, 'out-cold'));
    const warm = build(recipe, home, path.join(home, 'out-warm'));
    const manifest = spawnSync('tar', ['-xzOf', cold.result.artifact, 'manifest.json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const unpacked = JSON.parse(manifest.stdout).total_size;
    rows.push({
      recipe,
      cold: cold.seconds,
      warm: warm.seconds,
      unpacked,
      artifact: cold.result.size,
      same: cold.result.sha256 === warm.result.sha256,
    });
    process.stderr.write(`${recipe}: cold ${cold.seconds.toFixed(1)} s, warm ${warm.seconds.toFixed(1)} s\n`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
console.log(
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}\n`,
);
console.log(
  '| runtime | cold build | warm build | runtime size (unpacked) | artifact (.tar.gz) | rebuild identical | upstream Joblet |',
);
console.log('| --- | ---: | ---: | ---: | ---: | :---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.recipe} | ${r.cold.toFixed(0)} s | ${r.warm.toFixed(0)} s | ${mb(r.unpacked)} | ${mb(r.artifact)} | ${r.same ? 'yes' : 'NO'} | ${UPSTREAM[r.recipe] ?? ''} |`,
  );
}
const total = rows.reduce((a, r) => a + r.unpacked, 0);
console.log(
  `| **all** | ${rows.reduce((a, r) => a + r.cold, 0).toFixed(0)} s | ${rows.reduce((a, r) => a + r.warm, 0).toFixed(0)} s | ${mb(total)} | | | |`,
);
