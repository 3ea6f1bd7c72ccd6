/**
 * Joblet's config after an install, when a local user can write the config directory: a symlink
 * planted at the name of jrt's temp file, and a config that is itself a symlink. jrt runs as root;
 * the victim is a root-owned file outside every jrt directory.
 */
import { chmod, lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type JrtHome, makeJrtHome, requireRoot, requireTools, runJrt } from '../helpers/jrt.js';
import { makeArtifact } from '../unit/artifact/fixture.js';

const PRECIOUS = 'root:x:0:0:root:/root:/bin/bash\n';

beforeAll(() => {
  requireRoot('files owned by root, a pid namespace');
  requireTools({ unshare: 'util-linux' });
});

/** A home whose config directory anyone may write (the attacker's one capability), and a victim file. */
async function hostileConfigDir(): Promise<{ h: JrtHome; victim: string; artifact: string }> {
  const h = await makeJrtHome({ prefix: 'jrt-sec-config-' });
  await mkdir(path.dirname(h.config), { mode: 0o777 });
  await chmod(path.dirname(h.config), 0o777);
  const victim = path.join(h.home, 'victim');
  await writeFile(victim, PRECIOUS, { mode: 0o600 });
  const { file } = await makeArtifact(h.home);
  return { h, victim, artifact: file };
}

async function expectVictimIntact(victim: string) {
  expect(await readFile(victim, 'utf8')).toBe(PRECIOUS);
  const st = await stat(victim);
  expect(st.mode & 0o7777).toBe(0o600);
  expect(st.uid).toBe(0);
}

describe('a hostile Joblet config directory', { timeout: 60_000 }, () => {
  it('a symlink at the temp file name jrt would use is never followed: the victim is untouched', async () => {
    const { h, victim, artifact } = await hostileConfigDir();
    const config = `runtime:\n  enabled: false\n`;
    await writeFile(h.config, config, { mode: 0o640 });
    // In a pid namespace of its own jrt is pid 1, so the name a pid-based temp file would get is
    // known in advance, as a user watching the directory would learn it.
    const base = path.basename(h.config);
    await symlink(victim, path.join(path.dirname(h.config), `.${base}.jrt-1.tmp`));
    const r = await runJrt(['install', artifact, '--json'], {
      env: h.env,
      wrapper: ['unshare', '--pid', '--fork', '--mount-proc'],
    });
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.exitCode).toBe(0);
    await expectVictimIntact(victim);
    // The config itself was edited in place of the old file: a regular file, its mode kept.
    const st = await lstat(h.config);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o640);
    expect(await readFile(h.config, 'utf8')).toBe(`runtime:\n  enabled: true\n  base_path: "${h.root}"\n`);
  });

  it('a config that is a symlink is refused and left a link; the runtime is installed and the table printed', async () => {
    const { h, victim, artifact } = await hostileConfigDir();
    await symlink(victim, h.config);
    const r = await runJrt(['install', artifact], { env: h.env });
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.exitCode).toBe(1);
    // The table says what succeeded, then the error says what did not.
    expect(r.stdout).toMatch(/^NAME\s+RESULT\s+TIME\s+SIZE\ndemo-1\s+installed\s/);
    expect(r.stderr).toContain(
      `jrt: Joblet config ${h.config} is a symlink (to ${victim}); jrt does not write through links`,
    );
    expect(await readlink(h.config)).toBe(victim);
    await expectVictimIntact(victim);
    const verify = await runJrt(['runtime', 'verify', 'demo-1'], { env: h.env });
    expect(verify).toMatchObject({ exitCode: 0, stdout: 'demo-1: ok\n' });

    const json = await runJrt(['install', artifact, '--json', '--force'], { env: h.env });
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      runtimes: [{ name: 'demo-1', result: 'installed' }],
      joblet_config: { error: { code: 'ERR_JRT_JOBLET_CONFIG' } },
    });
  });
});
