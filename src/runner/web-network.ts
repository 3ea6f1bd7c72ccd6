/**
 * `--network=web`: outbound access without the host's network namespace. The job's launcher makes a
 * network namespace of its own (`unshare --net`, owned by the host's user namespace, so nothing in the
 * job can reconfigure it) and waits; jrt connects it to the outside with slirp4netns — user-mode
 * TCP/IP: no veth, no bridge, no NAT rule, nothing changed on the host — and lets the launcher go on
 * to start the sandbox in it (bwrap --share-net). slirp4netns runs with --disable-host-loopback, so a
 * web job cannot reach services that listen on the host's loopback only. Before the launcher goes on,
 * jrt loads the egress policy (egress.ts) into that namespace: slirp4netns connects out from the
 * host's namespace, so the host's other addresses and networks are refused there, on the job's side.
 *
 * Inside: tap0 10.0.2.100/24, gateway 10.0.2.2, DNS forwarder 10.0.2.3 (slirp4netns' defaults).
 */
import { readlinkSync } from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import { EXIT, JrtError } from '../core/errors.js';
import { installEgress } from './egress-setup.js';
import { spawnHelper } from './spawn.js';

export const SLIRP_DNS = '10.0.2.3';

/** The launcher's control channel: its fd 4, a socket to jrt. */
export const CONTROL_FD = 4;

/**
 * The prefix that starts `command` in a new network namespace once jrt says so: it reports `netns`
 * on its control fd, waits for a line back, closes the fd and execs the command. If jrt goes away
 * first, `read` sees end-of-file and nothing of the job runs.
 */
export function webLauncher(command: string[]): string[] {
  const script = `echo netns >&${CONTROL_FD} && read -r _ <&${CONTROL_FD} && exec "$@" ${CONTROL_FD}>&-`;
  return ['unshare', '--net', '--', '/bin/sh', '-c', script, 'sh', ...command];
}

export interface WebNetwork {
  /** Ends slirp4netns (it would end by itself when jrt's end of its exit fd closes). */
  stop(): Promise<void>;
}

/** How long the launcher and slirp4netns may take to get the network up. */
const SETUP_TIMEOUT_MS = 10_000;

/**
 * Connect the network namespace of the waiting launcher `pid` to the outside, with the nftables
 * `ruleset` loaded in it, then release it. Throws ERR_JRT_NETWORK (the job has not run) when the
 * launcher or slirp4netns fail, ERR_JRT_EGRESS when the ruleset cannot be loaded.
 *
 * slirp4netns is not in the job's cgroups: the signals jrt forwards to the job (Ctrl-C, --timeout's
 * SIGTERM) must not take the network away while the job is still shutting down, nor may it count
 * against --pids. It ends with the job (stop) or with jrt (its exit fd hangs up).
 */
export async function startWebNetwork(pid: number, control: Duplex, ruleset: string): Promise<WebNetwork> {
  await within(firstLine(control, 'the job launcher (unshare --net)'), 'the job launcher');
  const netns = `/proc/${pid}/ns/net`;
  // Never configure the host's own namespace: the launcher must be in a new one.
  let own: boolean;
  try {
    own = readlinkSync(netns) !== readlinkSync('/proc/self/ns/net');
  } catch (e) {
    throw networkError(`the job launcher went away: ${(e as Error).message}`);
  }
  if (!own) throw networkError('the job launcher did not get a network namespace of its own');
  const slirp = spawnHelper(
    [
      'slirp4netns',
      [
        '--configure',
        '--mtu=65520',
        '--disable-host-loopback',
        '--enable-sandbox',
        '--enable-seccomp',
        '--ready-fd=3',
        '--exit-fd=4',
        '--netns-type=path',
        netns,
        'tap0',
      ],
    ],
    2,
  );
  let output = '';
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  for (const s of [slirp.stdout, slirp.stderr]) s?.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    slirp.once('close', () => resolve());
    slirp.once('error', (e) => {
      output += e.message;
      resolve();
    });
  });
  const exitFd = slirp.stdio[4] as Duplex;
  const stop = async () => {
    exitFd.destroy();
    const killer = setTimeout(() => slirp.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(killer);
  };
  try {
    // While slirp4netns starts: all of the policy or no job.
    installEgress(netns, ruleset);
  } catch (e) {
    await stop();
    throw e;
  }
  try {
    await within(firstData(slirp.stdio[3] as Readable, exited), 'slirp4netns');
  } catch (e) {
    await stop();
    const reason = output.trim().split('\n').slice(-3).join('; ') || (e as Error).message;
    throw networkError(`slirp4netns could not connect the job's network: ${reason}`);
  }
  // Up: what it says from now on is of no interest (and must not pile up for a long job).
  for (const s of [slirp.stdout, slirp.stderr]) {
    s?.off('data', collect);
    s?.resume();
  }
  control.end('go\n');
  return { stop };
}

function networkError(message: string): JrtError {
  return new JrtError('ERR_JRT_NETWORK', message, {
    exitCode: EXIT.execFailed,
    hint: 'jrt doctor checks for slirp4netns (apt-get install slirp4netns); --network=none or host need none',
  });
}

/** `p`, or a network error once SETUP_TIMEOUT_MS have passed. */
async function within<T>(p: Promise<T>, who: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(networkError(`${who} did not get the network up within ${SETUP_TIMEOUT_MS / 1000} s`)),
      SETUP_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves on the first line from `stream`; rejects when it ends first. */
function firstLine(stream: Duplex, who: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) done();
    };
    const onEnd = () => done(networkError(`${who} ended before its network namespace was ready`));
    const done = (e?: Error) => {
      stream.off('data', onData).off('end', onEnd).off('close', onEnd);
      if (e) reject(e);
      else resolve();
    };
    stream.on('data', onData).once('end', onEnd).once('close', onEnd);
  });
}

/** Resolves when `stream` yields anything; rejects when the process ends first. */
function firstData(stream: Readable, exited: Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('data', () => resolve());
    void exited.then(() => reject(new Error('it exited')));
  });
}
