#!/usr/bin/env node
// The whole benchmark report in one command (root, after `npm run build`):
//   npm run bench            start-up, job start overhead, 200 sequential jobs
//   npm run bench -- --build also cold and warm builds of every runtime (long: tens of minutes)
// docs/benchmarks.md records a run.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const here = import.meta.dirname;
const run = (script, ...args) => {
  const r = spawnSync(process.execPath, [path.join(here, script), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status})`);
  console.log();
};
console.log(
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}\n`,
);
run('startup.mjs');
run('exec-overhead.mjs');
console.log('| jobs | total | per job |\n| --- | ---: | ---: |');
run('jobs.mjs', '200');
if (process.argv.includes('--build')) run('build.mjs');
