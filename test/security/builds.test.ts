/**
 * A recipe is code. Its build step and its smoke test run host-privileges.pl, which tries what root
 * with every capability in the host's user namespace could (0.2.0's build steps could mknod the
 * host's disks and mount filesystems): a block device, a cgroup v1 mount, a kernel module, a global
 * sysctl, the environment of a host process and a host file through /proc/PID/root. One real `jrt
 * build` of a tiny bookworm recipe; the control runs the same probe as root on the host (in a
 * throwaway mount namespace), so the probe is shown able to see each attack succeed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_ID_BASE, BUILD_ID_COUNT } from '../../src/builder/userns.js';
import { makeJrtHome, requireRoot, requireTools, runJrt } from '../helpers/jrt.js';
import { placeRecipe, RECIPES, removeTestHome } from '../integration/builder/build-harness.js';

const PROBE = path.join(RECIPES, 'host-privileges.pl');
const SECRET = { JRT_PROBE_SECRET: 'the-host-environment-is-private' };
const ATTACKS = [
  'mknod-block',
  'mount-cgroup',
  'load-module',
  'write-proc-sys',
  'read-host-environ',
  'open-via-proc-root',
] as const;

let home: string;
let env: NodeJS.ProcessEnv;
let marker: string;

beforeAll(async () => {
  requireRoot();
  requireTools({ perl: 'perl-base', unshare: 'util-linux' });
  ({ home, env } = await makeJrtHome({ prefix: 'jrt-sec-build-' }));
  marker = path.join(home, 'host-secret.txt');
  writeFileSync(marker, 'a file of the host\n');
});

afterAll(() => {
  if (home) removeTestHome(home);
});

/** `PROBE <phase> <attack>: <outcome>` lines → attack → outcome. */
function outcomes(text: string, phase: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(new RegExp(`^PROBE ${phase} ([a-z0-9.-]+): (.*)$`, 'gm')))
    out.set(m[1] as string, m[2] as string);
  return out;
}

describe('a recipe attacking the host from its build step and its smoke test', { timeout: 600_000 }, () => {
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

  it('fails at each attack in the build step and in the smoke test, which run as root of a user namespace only', async () => {
    const dir = path.join(home, 'recipe');
    const out = path.join(home, 'out');
    mkdirSync(dir);
    mkdirSync(out);
    const recipe = placeRecipe('host-privileges.yml', dir, {
      PROBE: readFileSync(PROBE).toString('base64'),
      MARKER: marker,
    });
    // jrt carries the secret in its own environment: a host process whose environ the probe looks for.
    const withSecret = { ...env, ...SECRET };
    const r = await runJrt(['build', recipe, '--out', out, '--json'], { env: withSecret });
    expect(r.exitCode, r.stderr).toBe(0);
    const log = readFileSync(JSON.parse(r.stdout).artifacts[0].log, 'utf8');

    const build = outcomes(log, 'build');
    const smoke = outcomes(log, 'smoke');
    for (const attack of ATTACKS) {
      expect(build.get(attack), `build: ${attack}\n${log}`).toMatch(/^denied \(/);
      expect(smoke.get(attack), `smoke: ${attack}\n${log}`).toMatch(/^denied \(/);
    }
    // Refused for want of a capability in the host's namespace, not for a bad argument.
    expect(build.get('mknod-block')).toBe('denied (Operation not permitted)');
    expect(build.get('mount-cgroup')).toBe('denied (Operation not permitted)');
    expect(build.get('write-proc-sys')).toMatch(/^denied \((Permission denied|Read-only file system)\)$/);
    // The step was root only inside: ids 0.. are the build range on the host.
    expect(log).toMatch(new RegExp(`^\\s*0\\s+${BUILD_ID_BASE}\\s+${BUILD_ID_COUNT}$`, 'm'));
    // The smoke test's working directory and the file jrt put there: private to the job's user.
    expect(smoke.get('workdir')).toBe('0700 65534');
    expect(smoke.get('note.txt')).toBe('600 65534');
  });
});
