/**
 * The egress policy's effects: what the host's addresses are and what `--allow-net` host names
 * resolve to (before anything of the job starts), and loading the ruleset into the job's network
 * namespace (before the launcher lets the job start). Only --network=web jobs get here.
 */
import { networkInterfaces } from 'node:os';
import { EXIT, JrtError } from '../core/errors.js';
import { type AllowNet, type AllowRule, formatAllowNet, planEgressRuleset } from './egress.js';
import { findOnLaunchPath, runTool } from './spawn.js';

export interface EgressHost {
  /** Every address of the host's interfaces (os.networkInterfaces). */
  addresses(): string[];
  resolve(host: string): Promise<{ address: string; family: number }[]>;
  findTool(name: string): string | undefined;
}

export const REAL_HOST: EgressHost = {
  addresses: () =>
    Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .map((i) => i.address),
  // Loaded only when a --allow-net names a host: node:dns is not free at `jrt exec`'s start.
  resolve: async (host) => (await import('node:dns/promises')).lookup(host, { all: true }),
  findTool: findOnLaunchPath,
};

/**
 * The ruleset for a web job: the host's addresses as they are now, `--allow-net` names resolved
 * now (a name that later resolves elsewhere is not followed). Throws ERR_JRT_EGRESS when nft is
 * missing, ERR_JRT_ALLOW_NET_RESOLVE when a name does not resolve.
 */
export async function planJobEgress(
  allow: readonly AllowNet[],
  host: EgressHost = REAL_HOST,
): Promise<string> {
  if (!host.findTool('nft')) {
    throw egressError(
      'nft (package nftables) is not installed: --network=web needs it to keep jobs off the host, its private networks and cloud metadata',
      'apt-get install nftables (jrt doctor checks for it); --network=none or host need none',
    );
  }
  const rules = await Promise.all(allow.map((a) => resolveAllow(a, host)));
  return planEgressRuleset(host.addresses(), rules.flat());
}

async function resolveAllow(a: AllowNet, host: EgressHost): Promise<AllowRule[]> {
  if (a.kind === 'cidr') return [{ family: a.family, cidr: a.cidr, ...(a.port ? { port: a.port } : {}) }];
  let found: { address: string; family: number }[];
  try {
    found = await host.resolve(a.host);
  } catch (e) {
    found = [];
    if (!isNotFound(e)) throw resolveError(a, (e as Error).message);
  }
  if (found.length === 0) throw resolveError(a, 'no such host');
  return found.map((f) => ({
    family: f.family === 6 ? 6 : 4,
    cidr: f.address,
    ...(a.port ? { port: a.port } : {}),
  }));
}

const isNotFound = (e: unknown) => ['ENOTFOUND', 'ENODATA'].includes((e as { code?: string }).code ?? '');

function resolveError(a: AllowNet, why: string): JrtError {
  return new JrtError('ERR_JRT_ALLOW_NET_RESOLVE', `--allow-net ${formatAllowNet(a)}: ${why}`, {
    exitCode: EXIT.execFailed,
    hint: 'give its address instead (--allow-net ADDRESS[:PORT] or CIDR)',
  });
}

/**
 * Load `ruleset` into the network namespace at `netns` (/proc/PID/ns/net of the waiting launcher),
 * atomically (nft -f): either all of it is in place or none and an ERR_JRT_EGRESS.
 */
export function installEgress(netns: string, ruleset: string): void {
  const r = runTool('nsenter', [`--net=${netns}`, '--', 'nft', '-f', '-'], ruleset);
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n').slice(-3).join('; ') || `exit ${r.status}`;
    throw egressError(`the egress rules could not be loaded into the job's network namespace: ${why}`);
  }
}

function egressError(message: string, hint?: string): JrtError {
  return new JrtError('ERR_JRT_EGRESS', message, {
    exitCode: EXIT.execFailed,
    hint: hint ?? 'nft needs root and the nf_tables kernel module (jrt doctor checks for nft)',
  });
}
