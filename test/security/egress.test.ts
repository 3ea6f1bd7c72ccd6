/**
 * The egress policy of --network=web, attacked from inside a job. jrt runs in a network namespace
 * this test makes ("the host"), next to a second one holding servers on cloud-metadata, private,
 * CGNAT, ULA and public-looking addresses (test/helpers/outside-network.ts): without the policy a
 * web job reaches every one of them, since slirp4netns connects from the host's namespace.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNetRuntime, requireSandboxHost } from '../fixtures/runtimes/host-runtime.js';
import { jobRecords } from '../helpers/jobs.js';
import { type JrtHome, makeJrtHome, requireTools, runJrt } from '../helpers/jrt.js';
import { HOST_ADDRESS, HOST_PORT, inOutsideWorld, OUTSIDE, PROBE } from '../helpers/outside-network.js';

let n: JrtHome;
beforeAll(async () => {
  requireSandboxHost();
  requireTools({ nft: 'nftables' });
  n = await makeJrtHome({ prefix: 'jrt-egress-test-' });
  await addNetRuntime(n);
});
afterAll(async () => {
  await n?.dispose();
});

const web = (flags: string[], command: string[]) =>
  runJrt(['exec', '--runtime=net:1', '--network=web', ...flags, '--', ...command], {
    env: n.env,
    cwd: n.work,
    wrapper: inOutsideWorld(),
    timeoutMs: 60_000,
  });
const probe = (flags: string[], targets: string[]) => web(flags, ['python3', '-c', PROBE, ...targets]);
const lines = (targets: Record<string, string>) =>
  Object.entries(targets)
    .map(([t, r]) => `${t} ${r}\n`)
    .join('');
const REFUSED = 'ConnectionRefusedError';
/** The code of the error `jrt exec --json` printed. */
const codeOf = (r: { stdout: string }) => (JSON.parse(r.stdout) as { error: { code: string } }).error.code;

describe('--network=web refuses what is not the internet', () => {
  it('the host itself, its networks and cloud metadata are refused at once; a public address answers', async () => {
    const expected = {
      [`${OUTSIDE.public}:8765`]: `pong ${OUTSIDE.public}`,
      [`${OUTSIDE.benchmark}:8765`]: `pong ${OUTSIDE.benchmark}`,
      [`${OUTSIDE.metadata}:8765`]: REFUSED,
      [`${OUTSIDE.rfc1918_10}:8765`]: REFUSED,
      [`${OUTSIDE.rfc1918_172}:8765`]: REFUSED,
      [`${OUTSIDE.rfc1918_192}:8765`]: REFUSED,
      [`${OUTSIDE.cgnat}:8765`]: REFUSED,
      // The host's own address (its server answers there to anyone else), and its loopback through
      // slirp4netns' gateway.
      [`${HOST_ADDRESS}:${HOST_PORT}`]: REFUSED,
      [`10.0.2.2:${HOST_PORT}`]: REFUSED,
      // slirp4netns carries no IPv6: unreachable with or without the policy.
      [`[${OUTSIDE.ula}]:8765`]: 'OSError',
    };
    const r = await probe([], Object.keys(expected));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(lines(expected));
    expect(r.exitCode).toBe(0);
  });

  it('the job cannot take the rules away: nft fails without CAP_NET_ADMIN over its namespace', async () => {
    const job = `nft flush ruleset; echo "flush: $?"; nft delete table inet jrt_egress; echo "delete: $?"
python3 -c '${PROBE}' ${OUTSIDE.metadata}:8765 ${OUTSIDE.public}:8765`;
    const r = await web([], ['sh', '-c', job]);
    expect(r.stderr).toContain('Operation not permitted');
    expect(r.stdout).toBe(
      `flush: 1\ndelete: 1\n${lines({ [`${OUTSIDE.metadata}:8765`]: REFUSED, [`${OUTSIDE.public}:8765`]: `pong ${OUTSIDE.public}` })}`,
    );
  });
});

describe('--allow-net opens exceptions, and no more', () => {
  it('an address and port, a network, the host’s own address: each answers; the rest stays refused', async () => {
    const expected = {
      [`${OUTSIDE.rfc1918_10}:8765`]: `pong ${OUTSIDE.rfc1918_10}`,
      [`${OUTSIDE.rfc1918_10}:8767`]: REFUSED, // another port of the allowed address
      [`${OUTSIDE.metadata}:8765`]: `pong ${OUTSIDE.metadata}`,
      [`${OUTSIDE.metadata}:8767`]: `pong ${OUTSIDE.metadata}`,
      [`${HOST_ADDRESS}:${HOST_PORT}`]: `host ${HOST_ADDRESS}`,
      [`${OUTSIDE.rfc1918_192}:8765`]: REFUSED,
      [`${OUTSIDE.public}:8765`]: `pong ${OUTSIDE.public}`,
    };
    const allow = [`${OUTSIDE.rfc1918_10}:8765`, '169.254.0.0/16', HOST_ADDRESS];
    const r = await probe(
      allow.flatMap((a) => ['--allow-net', a]),
      Object.keys(expected),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(lines(expected));
    expect((await jobRecords(n.log)).at(-1)).toMatchObject({ limits: { network: 'web', allowNet: allow } });
  });

  it('bad exceptions are usage errors before anything runs', async () => {
    const marker = path.join(n.work, 'ran');
    const touch = ['sh', '-c', 'touch /work/ran'];
    const bad = await web(['--json', '--allow-net', '10.0.0.0/33'], touch);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--allow-net: '10.0.0.0/33' has a prefix length that is not 0-32");
    expect(codeOf(bad)).toBe('ERR_JRT_BAD_ALLOW_NET');
    const notWeb = await runJrt(
      ['exec', '--json', '--runtime=net:1', '--allow-net', '10.1.2.3', '--', ...touch],
      {
        env: n.env,
        cwd: n.work,
      },
    );
    expect(notWeb.exitCode).toBe(2);
    expect(notWeb.stderr).toContain('--allow-net needs --network=web (this job has --network=none)');
    expect(codeOf(notWeb)).toBe('ERR_JRT_BAD_ALLOW_NET');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('without nft', () => {
  it('--network=web fails before the job runs, naming the package; --network=none still runs', async () => {
    // nft hidden under an empty tmpfs in a mount namespace of this test's own.
    const hide = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c'];
    const script = 'mount -t tmpfs jrt-test "$(dirname "$(command -v nft)")" && exec "$@"';
    const run = (network: string) =>
      runJrt(['exec', '--json', '--runtime=net:1', `--network=${network}`, '--', 'sh', '-c', 'echo ran'], {
        env: n.env,
        cwd: n.work,
        wrapper: [...hide, script, 'sh'],
      });
    const r = await run('web');
    expect(r.exitCode).toBe(125);
    expect(codeOf(r)).toBe('ERR_JRT_EGRESS'); // and nothing else on stdout: the job did not run
    expect(r.stderr).toContain('nft (package nftables) is not installed');
    expect(r.stderr).toContain('apt-get install nftables');
    expect((await run('none')).stdout).toMatch(/^ran\n\{"id"/);
  });
});
