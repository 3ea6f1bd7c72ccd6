/**
 * Secrets a job is given must never be on a command line (issue 9, item 6): `ps` shows every
 * process's argv to every user of the host. Root: namespaces, mounts, cgroups.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHostRuntime } from '../fixtures/runtimes/host-runtime.js';
import { type JrtHome, jrtExec, makeJrtHome, requireRoot } from '../helpers/jrt.js';
import { startJob } from './processes.js';

let t: JrtHome;
const RT = '--runtime=host:12';

beforeAll(async () => {
  requireRoot();
  t = await makeJrtHome({ prefix: 'jrt-secrets-' });
  await addHostRuntime(t, { name: 'host-12', language: 'host', version: '12.1' });
});
afterAll(async () => {
  await t?.dispose();
});

/** The command lines of every process on the host that mention `text`. */
function commandLinesWith(text: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${name}: ${cmdline}`);
    } catch {}
  }
  return found;
}

describe('item 6: secrets never on a command line', () => {
  it('--env NAME and --env-from values reach the job and no process shows them', async () => {
    const fromEnv = `s3cr3t-env-${process.pid}`;
    const fromFile = `s3cr3t-file-${process.pid}`;
    const file = path.join(t.home, 'job.env');
    await writeFile(path.join(t.home, 'job.env'), `# database\nDB_PASSWORD=${fromFile}\n\nAPI_KEY=k=v\n`, {
      mode: 0o600,
    });
    const job = startJob(
      t,
      [
        RT,
        '--env',
        'TOKEN',
        '--env-from',
        file,
        '--',
        'sh',
        '-c',
        'echo "$TOKEN $DB_PASSWORD $API_KEY"; echo ready; exec sleep 30',
      ],
      { TOKEN: fromEnv },
    );
    try {
      await job.waitFor('ready');
      expect(commandLinesWith(fromEnv)).toEqual([]);
      expect(commandLinesWith(fromFile)).toEqual([]);
    } finally {
      job.child.kill('SIGTERM');
    }
    const r = await job.done;
    expect(r.stdout).toContain(`${fromEnv} ${fromFile} k=v\n`);
  });

  it("--env NAME=VALUE is on jrt's own command line (the caller put it there), never on bwrap's", async () => {
    const secret = `s3cr3t-argv-${process.pid}`;
    const job = startJob(t, [RT, '--env', `PW=${secret}`, '--', 'sh', '-c', 'echo ready; exec sleep 30']);
    try {
      await job.waitFor('ready');
      const shown = commandLinesWith(secret);
      expect(shown.length).toBe(1);
      expect(shown[0]).toContain('jrt.cjs exec');
    } finally {
      job.child.kill('SIGTERM');
      await job.done;
    }
  });

  it('an unset --env NAME and a malformed --env-from line are usage errors naming them', async () => {
    const unset = await jrtExec(t, [RT, '--env', 'JRT_TEST_UNSET_VAR', '--', 'true']);
    expect(unset.exitCode).toBe(2);
    expect(unset.stderr).toContain(
      "--env JRT_TEST_UNSET_VAR: JRT_TEST_UNSET_VAR is not set in jrt's environment",
    );
    const file = path.join(t.home, 'bad.env');
    await writeFile(file, 'OK=1\nnot a line\n');
    const bad = await jrtExec(t, [RT, '--env-from', file, '--', 'true']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(`--env-from ${file}:2: expected NAME=VALUE`);
  });
});
