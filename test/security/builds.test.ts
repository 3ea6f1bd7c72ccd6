/**
 * A recipe is code. Its build step and its smoke test run host-privileges.pl, which tries what root
 * with every capability in the host's user namespace could (0.2.0's build steps could mknod the
 * host's disks and mount filesystems): a block device, a cgroup v1 mount, a kernel module, a global
 * sysctl, the environment of a host process and a host file through /proc/PID/root. One real `jrt
 * build` of a tiny bookworm recipe; the control runs the same probe as root on the host (in a
 * throwaway mount namespace), so the probe is shown able to see each attack succeed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_ID_BASE, BUILD_ID_COUNT } from '../../src/builder/userns.js';
import { makeJrtHome, requireRoot, requireTools, runJrt } from '../helpers/jrt.js';
import { placeRecipe, RECIPES, removeTestHome } from '../integration/builder/build-harness.js';

const PROBE = path.join(RECIPES, 'host-privileges.pl');
const SECRET = { JRT_PROBE_SECRET: 'the-host-environment-is-private' };

let home: string;
let env: NodeJS.ProcessEnv;
let marker: string;
/** The build's log and what the probe saw in each phase. */
let log = '';
let build = new Map<string, string>();
let smoke = new Map<string, string>();

/** `PROBE <phase> <attack>: <outcome>` lines → attack → outcome. */
function outcomes(text: string, phase: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(new RegExp(`^PROBE ${phase} ([a-z0-9.-]+): (.*)$`, 'gm')))
    out.set(m[1] as string, m[2] as string);
  return out;
}

beforeAll(async () => {
  requireRoot();
  requireTools({ perl: 'perl-base', unshare: 'util-linux' });
  ({ home, env } = await makeJrtHome({ prefix: 'jrt-sec-build-' }));
  marker = path.join(home, 'host-secret.txt');
  writeFileSync(marker, 'a file of the host\n');
  const dir = path.join(home, 'recipe');
  const out = path.join(home, 'out');
  mkdirSync(dir);
  mkdirSync(out);
  const recipe = placeRecipe('host-privileges.yml', dir, {
    PROBE: readFileSync(PROBE).toString('base64'),
    MARKER: marker,
  });
  // jrt carries the secret in its own environment: a host process whose environ the probe looks for.
  const r = await runJrt(['build', recipe, '--out', out, '--json'], { env: { ...env, ...SECRET } });
  if (r.exitCode !== 0)
    throw new Error(`jrt build of host-privileges.yml failed (${r.exitCode}): ${r.stderr}`);
  log = readFileSync(JSON.parse(r.stdout).artifacts[0].log, 'utf8');
  build = outcomes(log, 'build');
  smoke = outcomes(log, 'smoke');
}, 600_000);

afterAll(() => {
  if (home) removeTestHome(home);
});

/** The attack was tried in both phases and failed in both; returns the build step's outcome. */
function deniedInBoth(attack: string): string {
  expect(build.get(attack), `build step: ${attack}\n${log}`).toMatch(/^denied \(/);
  expect(smoke.get(attack), `smoke test: ${attack}\n${log}`).toMatch(/^denied \(/);
  return build.get(attack) as string;
}

describe('a recipe attacking the host from its build step and its smoke test', () => {
  it('the control: the same probe, as root on the host, sees the attacks succeed', () => {
    const scratch = mkdtempSync(path.join(home, 'control-'));
    const r = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', '--', 'perl', PROBE, 'control', marker, scratch],
      { encoding: 'utf8', env: { PATH: process.env.PATH, ...SECRET } },
    );
    expect(r.status, r.stderr).toBe(0);
    const got = outcomes(r.stdout, 'control');
    for (const attack of [
      'mknod-block',
      'mount-cgroup',
      'write-proc-sys',
      'read-host-environ',
      'open-via-proc-root',
    ])
      expect(got.get(attack), `${attack}\n${r.stdout}`).toBe('SUCCEEDED');
    // This kernel may have no module support (ENOSYS); where it has, root gets past the permission check.
    expect(got.get('load-module')).not.toContain('Operation not permitted');
  });

  // Refused for want of a capability in the host's namespace, not for a bad argument (main: SUCCEEDED).
  it('mknod of a block device (8:0) is refused with EPERM in the build step and in the smoke test', () => {
    expect(deniedInBoth('mknod-block')).toBe('denied (Operation not permitted)');
  });

  it('mounting the cgroup v1 memory hierarchy (the release_agent escape) is refused with EPERM in both', () => {
    expect(deniedInBoth('mount-cgroup')).toBe('denied (Operation not permitted)');
  });

  it('loading a kernel module (finit_module) fails in both', () => {
    // EPERM where the kernel has modules; ENOSYS on a kernel without (this machine's).
    expect(deniedInBoth('load-module')).toMatch(/Operation not permitted|Function not implemented/);
  });

  it('opening a global sysctl (/proc/sys/kernel/core_pattern) for writing is refused in both', () => {
    expect(deniedInBoth('write-proc-sys')).toMatch(/Permission denied|Read-only file system/);
  });

  it("no host process's environment can be read in either, not even jrt's through the sandbox's pid 1", () => {
    deniedInBoth('read-host-environ');
  });

  it('no host file can be opened through /proc/*/root in either', () => {
    deniedInBoth('open-via-proc-root');
  });

  it('the build step is root only of a user namespace whose ids are the unprivileged build range', () => {
    expect(log).toMatch(new RegExp(`^\\s*0\\s+${BUILD_ID_BASE}\\s+${BUILD_ID_COUNT}$`, 'm'));
  });

  it("the smoke test's working directory is private to the job user (0700), and so are the files jrt puts there (0600)", () => {
    // The job wrote probe.pl there and read note.txt: an owner unmapped in the sandbox would show as
    // 65534 too, but could not be written to or read under these modes. main's code: 0777 and 0644.
    expect(smoke.get('workdir')).toBe('0700 65534');
    expect(smoke.get('note.txt')).toBe('600 65534');
  });

  it('a cache the build user cannot reach is refused before anything runs, naming the directory (ERR_JRT_BUILD_UNREACHABLE)', async () => {
    const closed = path.join(home, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(closed, 0o700);
    const cache = path.join(closed, 'cache');
    const dir = path.join(home, 'unreachable');
    mkdirSync(dir);
    const recipe = placeRecipe('tiny.yml', dir);
    const r = await runJrt(['build', recipe, '--json'], { env: { ...env, JRT_CACHE: cache } });
    expect(r.exitCode, r.stderr).toBe(1);
    const e = JSON.parse(r.stdout).error;
    expect(e.code).toBe('ERR_JRT_BUILD_UNREACHABLE');
    expect(e.message).toContain(`uid ${BUILD_ID_BASE}`);
    expect(e.message).toContain(`${closed} (mode 0700, owner uid 0)`);
    expect(readdirSync(path.join(cache, 'bases'))).toEqual([]);
  });
});
