/**
 * The recipe's smoke tests, run inside the freshly built runtime directory through the same sandbox
 * the runner gives jobs, so a runtime that passes here runs under `jrt exec`.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { run } from '../core/proc.js';
import type { RuntimeYml } from '../core/runtime-format.js';
import type { SmokeTest } from '../recipe/types.js';
import { runtimeSandboxArgv } from './sandbox-argv.js';

export async function runSmokeTests(
  runtimeDir: string,
  yml: RuntimeYml,
  tests: SmokeTest[],
  onLine?: (l: string) => void,
): Promise<void> {
  for (const test of tests) {
    const work = await mkdtemp(path.join(os.tmpdir(), 'jrt-smoke-'));
    try {
      // The job runs as nobody and must be able to write its work dir.
      await chmod(work, 0o777);
      for (const [name, content] of Object.entries(test.files ?? {}))
        await writeFile(path.join(work, name), content);
      const argv = runtimeSandboxArgv(runtimeDir, yml, work, ['/bin/sh', '-c', test.run]);
      onLine?.(`smoke test '${test.name}': ${test.run}`);
      const r = await run('bwrap', argv, { reject: false, onLine, extendEnv: false, env: {} });
      if (r.exitCode !== 0) {
        throw failure(
          'ERR_JRT_SMOKE_TEST',
          `smoke test '${test.name}' failed (exit ${r.exitCode}): ${test.run}\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`,
        );
      }
      if (test.expect !== undefined && !r.stdout.includes(test.expect)) {
        throw failure(
          'ERR_JRT_SMOKE_TEST',
          `smoke test '${test.name}': output does not contain ${JSON.stringify(test.expect)}:\n${r.stdout.trim().split('\n').slice(-15).join('\n')}`,
        );
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
