/**
 * The egress policy of `--network=web` jobs, pure: what `--allow-net` may say, and the nftables
 * ruleset jrt loads into the job's network namespace before the job runs (egress-setup.ts does that).
 *
 * slirp4netns makes the job's connections from the host's network namespace, so whatever the host
 * reaches, an unfiltered web job reaches: cloud metadata on 169.254.169.254, private networks, the
 * host's own addresses. The rules sit on the job's side of slirp4netns' tap device, in a namespace
 * owned by the host's user namespace: the job (its own user namespace, no capabilities) cannot
 * change them. Refused connections fail at once: TCP gets a reset, anything else an ICMP error.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { usageError } from '../core/errors.js';

/** One `--allow-net` exception: an address or network, or a host name jrt resolves at job start. */
export type AllowNet =
  | { kind: 'cidr'; family: 4 | 6; cidr: string; port?: number }
  | { kind: 'host'; host: string; port?: number };

/** An exception with its host name resolved: what goes into the ruleset. */
export type AllowRule = { family: 4 | 6; cidr: string; port?: number };

/** Not the internet: this network, RFC 1918, CGNAT, loopback, link-local, multicast and reserved. */
export const REFUSED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '168.63.129.16/32',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

/** Unspecified and loopback, IPv4-mapped, ULA, link-local, multicast. */
export const REFUSED_V6 = ['::/127', '::ffff:0:0/96', 'fc00::/7', 'fe80::/10', 'ff00::/8'] as const;

/** slirp4netns' DNS forwarder (inside its 10.0.2.0/24): the one private address a job may use. */
const SLIRP_DNS_RULE = 'ip daddr 10.0.2.3 meta l4proto { tcp, udp } th dport 53 accept';

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** `CIDR|ADDRESS|HOST[:PORT]`, IPv6 in brackets when a port follows. Throws ERR_JRT_BAD_ALLOW_NET. */
export function parseAllowNet(spec: string): AllowNet {
  const bad = (why: string) =>
    usageError(
      'ERR_JRT_BAD_ALLOW_NET',
      `--allow-net: '${spec}' ${why}`,
      'e.g. --allow-net 10.1.2.0/24, --allow-net 10.1.2.3:5432, --allow-net [fd00::1]:443, --allow-net db.internal:5432',
    );
  let where = spec;
  let port: number | undefined;
  const bracketed = /^\[([^\]]*)\](?::([^:]*))?$/.exec(spec);
  if (bracketed) {
    where = bracketed[1] as string;
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], bad);
    if (!where.includes(':')) throw bad('puts brackets around something that is not an IPv6 address');
  } else if (spec.split(':').length === 2) {
    [where] = spec.split(':') as [string];
    port = parsePort(spec.slice(where.length + 1), bad);
  }
  const [address, prefix, ...rest] = where.split('/');
  const family = isIPv4(address ?? '') ? 4 : isIPv6(address ?? '') ? 6 : undefined;
  if (family !== undefined) {
    if (rest.length > 0) throw bad('has more than one /');
    if (prefix !== undefined) {
      const max = family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max)
        throw bad(`has a prefix length that is not 0-${max}`);
    }
    return {
      kind: 'cidr',
      family,
      cidr: prefix === undefined ? (address as string) : `${address}/${Number(prefix)}`,
      ...portOf(port),
    };
  }
  if (where.includes('/')) throw bad('is not an IPv4 or IPv6 network');
  if (where.includes(':'))
    throw bad('is not an address, network or host name; put an IPv6 address with a port in brackets');
  if (!HOST_NAME.test(where) || /^[\d.]+$/.test(where)) throw bad('is not an address, network or host name');
  return { kind: 'host', host: where.toLowerCase(), ...portOf(port) };
}

function parsePort(text: string, bad: (why: string) => Error): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  if (port < 1 || port > 65535) throw bad(`has a port that is not 1-65535`);
  return port;
}

const portOf = (port: number | undefined) => (port === undefined ? {} : { port });

/** How an exception reads in messages and job records: `10.1.2.3:5432`, `[fd00::1]:443`. */
export function formatAllowNet(a: AllowNet): string {
  const where = a.kind === 'host' ? a.host : a.cidr;
  if (a.port === undefined) return where;
  return a.kind === 'cidr' && a.family === 6 ? `[${where}]:${a.port}` : `${where}:${a.port}`;
}

/**
 * The ruleset: an output hook that passes the job's own loopback and slirp4netns' DNS, then the
 * `allow` exceptions, then refuses the ranges above and `hostAddresses` (the host's own, every one
 * of which slirp4netns would reach as "the outside"). Everything in it is an address jrt checked.
 */
export function planEgressRuleset(hostAddresses: readonly string[], allow: readonly AllowRule[]): string {
  const v4 = [...REFUSED_V4, ...hostAddresses.filter((a) => isIPv4(a))];
  const v6 = [...REFUSED_V6, ...hostAddresses.filter((a) => isIPv6(a))];
  const allowLines = allow.map((a) => {
    const ports = a.port === undefined ? '' : ` meta l4proto { tcp, udp } th dport ${a.port}`;
    return `    ${a.family === 4 ? 'ip' : 'ip6'} daddr ${a.cidr}${ports} accept`;
  });
  return `table inet jrt_egress {
  set refused4 { type ipv4_addr; flags interval; auto-merge; elements = { ${v4.join(', ')} } }
  set refused6 { type ipv6_addr; flags interval; auto-merge; elements = { ${v6.join(', ')} } }
  chain output {
    type filter hook output priority filter; policy accept;
    oif "lo" accept
    ${SLIRP_DNS_RULE}
${allowLines.map((l) => `${l}\n`).join('')}    ip daddr @refused4 jump refuse
    ip6 daddr @refused6 jump refuse
  }
  chain refuse {
    meta l4proto tcp reject with tcp reset
    reject with icmpx admin-prohibited
  }
}
`;
}
