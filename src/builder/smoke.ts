/**
 * The recipe's smoke tests, run inside the freshly built runtime directory through the runner's own
 * sandbox plan (same mounts, user, namespaces and environment as `jrt exec`), so a runtime that
 * passes here runs under `jrt exec`.
 */
import { constants } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { run } from '../core/proc.js';
import { describeBlocker, searchBlocker } from '../core/reach.js';
import type { RuntimeYml } from '../core/runtime-format.js';
import type { SmokeTest } from '../recipe/types.js';
import { planSandbox } from '../runner/plan.js';
import { asUser } from '../runner/spawn.js';
import { staticLibsMissedByLinker } from './strip.js';

const NOBODY = 65534;

export async function runSmokeTests(
  runtimeDir: string,
  yml: RuntimeYml,
  tests: SmokeTest[],
  onLine?: (l: string) => void,
  /** Static libraries `runtime.strip.static_libs` removed: a link failure that needs one says so. */
  strippedStaticLibs: string[] = [],
): Promise<void> {
  // Jobs run as nobody on the host too: the runtime must be readable by them.
  await chmod(runtimeDir, 0o755);
  if (tests.length > 0) assertReachableByJobUser(runtimeDir);
  for (const test of tests) {
    const work = await mkdtemp(path.join(os.tmpdir(), 'jrt-smoke-'));
    try {
      await prepareWorkDir(work, test.files ?? {});
      const args = planSandbox(yml, runtimeDir, {
        workdir: work,
        volumes: [],
        files: [],
        network: 'none',
        uid: NOBODY,
        gid: NOBODY,
        env: {},
        argv: ['/bin/sh', '-c', test.run],
      });
      const [file, ...rest] = [...asUser(NOBODY, NOBODY), 'bwrap', ...args];
      onLine?.(`smoke test '${test.name}': ${test.run}`);
      const r = await run(file as string, rest, {
        reject: false,
        onLine,
        extendEnv: false,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      });
      const tail = (text: string) => text.trim().split('\n').slice(-15).join('\n');
      if (r.exitCode !== 0) {
        const missed = staticLibsMissedByLinker(`${r.stdout}\n${r.stderr}`, strippedStaticLibs);
        const why =
          missed.length > 0
            ? `\nit links against ${missed.join(', ')}, which runtime.strip.static_libs (default true) removed from the runtime`
            : '';
        throw failure(
          'ERR_JRT_SMOKE_TEST',
          `smoke test '${test.name}' failed (exit ${r.exitCode}): ${test.run}\n${tail(r.stderr || r.stdout)}${why}`,
          missed.length > 0
            ? {
                hint: 'set runtime.strip.static_libs: false in the recipe: a toolchain that links needs its *.a files',
              }
            : {},
        );
      }
      if (test.expect !== undefined && !r.stdout.includes(test.expect)) {
        throw failure(
          'ERR_JRT_SMOKE_TEST',
          `smoke test '${test.name}': output does not contain ${JSON.stringify(test.expect)}:\n${tail(r.stdout)}`,
        );
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

/**
 * The test's working directory, private from its first instant: mkdtemp makes it 0700 and root's,
 * the files are written while only jrt can reach it (O_EXCL|O_NOFOLLOW all the same: nothing may
 * wait under their names), then files, subdirectories and the directory itself are handed to the
 * job user, still 0700. It is never writable by anyone else, so no one can plant a link in it.
 * A name with directories (`src/main.rs`) gets them made here, one component at a time, each a new
 * directory of this call's own (validation refuses `..`, `.`, empty components and a name that is
 * both a file and a directory; a component that exists and is not a directory made here is refused
 * all the same).
 */
export async function prepareWorkDir(work: string, files: Record<string, string>): Promise<void> {
  const made = new Set<string>();
  for (const [name, content] of Object.entries(files)) {
    const parts = name.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..'))
      throw failure('ERR_JRT_SMOKE_TEST', `smoke test file '${name}': not a plain relative name`);
    let dir = work;
    for (const part of parts.slice(0, -1)) {
      dir = path.join(dir, part);
      if (made.has(dir)) continue;
      try {
        await mkdir(dir, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        throw failure(
          'ERR_JRT_SMOKE_TEST',
          `smoke test file '${name}': ${path.relative(work, dir)} is already a file of the test`,
        );
      }
      made.add(dir);
    }
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
    const fh = await open(path.join(work, ...parts), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600).catch(
      (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST' && e.code !== 'EISDIR') throw e;
        throw failure('ERR_JRT_SMOKE_TEST', `smoke test file '${name}': is also a directory of the test`);
      },
    );
    try {
      await fh.writeFile(content);
      await fh.chown(NOBODY, NOBODY);
    } finally {
      await fh.close();
    }
  }
  for (const dir of made) await chown(dir, NOBODY, NOBODY);
  await chown(work, NOBODY, NOBODY);
}

/**
 * bwrap runs as the job user and opens the runtime's mount sources as that user, so every directory
 * above the runtime must let it pass. A JRT_CACHE below a private directory (mode 0700, such as
 * /root or a mkdtemp dir) would otherwise fail every smoke test with bwrap's bare "Permission denied".
 */
function assertReachableByJobUser(runtimeDir: string): void {
  const blocker = searchBlocker(runtimeDir, NOBODY, NOBODY);
  if (!blocker) return;
  throw failure(
    'ERR_JRT_SMOKE_UNREACHABLE',
    `the smoke tests run as the job user (uid ${NOBODY}), who cannot reach ${runtimeDir}: ${describeBlocker(blocker)} does not let it pass`,
    {
      hint: 'keep JRT_CACHE below directories others may enter (chmod o+x), like the default /var/cache/jrt',
    },
  );
}
