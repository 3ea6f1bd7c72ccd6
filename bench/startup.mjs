#!/usr/bin/env node
// Start-up time of the bundled CLI: `jrt --version` and `jrt --help` against `node -e 0`, medians of
// N runs (default 40). Run by hand after `npm run build`: node bench/startup.mjs [N]
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BUNDLE = path.resolve(import.meta.dirname, '../dist/jrt.cjs');
const N = Number(process.argv[2] ?? 40);
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

function median(cmd, args) {
  const times = [];
  for (let i = 0; i < N + 3; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    if (i >= 3) times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const base = median(process.execPath, ['-e', '0']);
const rows = [
  ['node -e 0', base],
  ['jrt --version', median(process.execPath, [BUNDLE, '--version'])],
  ['jrt --help', median(process.execPath, [BUNDLE, '--help'])],
];
console.log(`| command (median of ${N}) | ms | vs node -e 0 |`);
console.log('| --- | ---: | ---: |');
for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(1)} | ${(ms / base).toFixed(2)}× |`);
