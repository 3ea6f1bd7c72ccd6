#!/usr/bin/env node
// Time for 200 sequential jobs: `jrt exec -- /bin/true` one after another, as root, after
// `npm run build`. Legacy mode (the host's /usr, same isolation) unless a runtime spec is given with
// an installed JRT_ROOT:  node bench/jobs.mjs [COUNT] [--runtime=SPEC]
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BUNDLE = path.resolve(import.meta.dirname, '../dist/jrt.cjs');
const count = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 200);
const spec = process.argv.find((a) => a.startsWith('--runtime='));
const home = mkdtempSync(path.join(os.tmpdir(), 'jrt-bench-jobs-'));
// The job runs as nobody and gets the current directory at /work: it must be able to enter it.
chmodSync(home, 0o755);
const env = {
  PATH: process.env.PATH,
  JRT_ROOT: process.env.JRT_ROOT ?? path.join(home, 'root'),
  JRT_STATE: path.join(home, 'state'),
  JRT_LOG: path.join(home, 'log'),
  JRT_CACHE: path.join(home, 'cache'),
};
const args = [BUNDLE, 'exec', ...(spec ? [spec] : []), '--memory', '256m', '--pids', '64', '--', '/bin/true'];
try {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const r = spawnSync(process.execPath, args, { env, cwd: home, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`job ${i} exited ${r.status}`);
  }
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `| ${count} sequential jobs (${spec ?? 'legacy mode'}, --memory, --pids) | ${s.toFixed(1)} s | ${((s / count) * 1000).toFixed(0)} ms/job |`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
