/**
 * `jrt exec --network` modes, each one's traits in one table: whether the sandbox keeps the network
 * namespace jrt starts it in, what the job's /etc/resolv.conf says, whether web-network.ts's launcher
 * and slirp4netns connect it, and whether the egress policy (egress.ts, `--allow-net`) applies. A
 * mode is one row here; the runner asks the row, never the mode's name. Pure.
 */
export type NetworkMode = 'none' | 'host' | 'web';

export interface NetworkTraits {
  /** bwrap `--share-net`: keep the namespace jrt starts the sandbox in (the host's, or the launcher's). */
  shareNet: boolean;
  /** The job's resolv.conf: none (loopback only), the host's, or slirp4netns' DNS forwarder. */
  resolver: 'none' | 'host' | 'slirp';
  /** Started by the web launcher in a namespace of its own, which slirp4netns connects outward. */
  launcher: boolean;
  /** The egress policy applies: private, link-local and the host's own addresses are refused. */
  egressPolicy: boolean;
  /** What a job of this mode reaches, as errors and help say it. */
  reaches: string;
}

export const NETWORK_MODES: Record<NetworkMode, NetworkTraits> = {
  none: {
    shareNet: false,
    resolver: 'none',
    launcher: false,
    egressPolicy: false,
    reaches: 'nothing outside the job',
  },
  host: {
    shareNet: true,
    resolver: 'host',
    launcher: false,
    egressPolicy: false,
    reaches: 'everything the host reaches',
  },
  web: {
    shareNet: true,
    resolver: 'slirp',
    launcher: true,
    egressPolicy: true,
    reaches: "public addresses through slirp4netns, not the host's networks (--allow-net opens exceptions)",
  },
};

export function isNetworkMode(s: string): s is NetworkMode {
  return Object.hasOwn(NETWORK_MODES, s);
}
