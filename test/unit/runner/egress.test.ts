import { describe, expect, it } from 'vitest';
import { formatAllowNet, parseAllowNet, planEgressRuleset } from '../../../src/runner/egress.js';
import { type EgressHost, planJobEgress } from '../../../src/runner/egress-setup.js';

describe('parseAllowNet', () => {
  it.each([
    ['10.1.2.3', { kind: 'cidr', family: 4, cidr: '10.1.2.3' }],
    ['10.1.2.0/24', { kind: 'cidr', family: 4, cidr: '10.1.2.0/24' }],
    ['10.1.2.3:5432', { kind: 'cidr', family: 4, cidr: '10.1.2.3', port: 5432 }],
    ['10.1.2.0/24:443', { kind: 'cidr', family: 4, cidr: '10.1.2.0/24', port: 443 }],
    ['0.0.0.0/0', { kind: 'cidr', family: 4, cidr: '0.0.0.0/0' }],
    ['fd00::1', { kind: 'cidr', family: 6, cidr: 'fd00::1' }],
    ['fd00::/8', { kind: 'cidr', family: 6, cidr: 'fd00::/8' }],
    ['[fd00::1]:443', { kind: 'cidr', family: 6, cidr: 'fd00::1', port: 443 }],
    ['[fd00::/64]', { kind: 'cidr', family: 6, cidr: 'fd00::/64' }],
    ['DB.internal:5432', { kind: 'host', host: 'db.internal', port: 5432 }],
    ['metadata', { kind: 'host', host: 'metadata' }],
  ])('%s', (spec, want) => {
    expect(parseAllowNet(spec)).toEqual(want);
    // What job records and messages show parses back to the same exception.
    expect(parseAllowNet(formatAllowNet(parseAllowNet(spec)))).toEqual(want);
  });

  it.each([
    ['', 'is not an address, network or host name'],
    ['10.0.0.0/33', 'has a prefix length that is not 0-32'],
    ['fd00::/129', 'has a prefix length that is not 0-128'],
    ['10.0.0.0/8/8', 'has more than one /'],
    ['10.1.2.3:0', 'has a port that is not 1-65535'],
    ['10.1.2.3:65536', 'has a port that is not 1-65535'],
    ['10.1.2.3:', 'has a port that is not 1-65535'],
    ['[10.1.2.3]:80', 'puts brackets around something that is not an IPv6 address'],
    ['fd00::1:443x', 'is not an address, network or host name; put an IPv6 address with a port in brackets'],
    ['10.1.2', 'is not an address, network or host name'],
    ['a b', 'is not an address, network or host name'],
    ['x/8', 'is not an IPv4 or IPv6 network'],
    ['-bad.example', 'is not an address, network or host name'],
    ['ok.example; flush ruleset', 'is not an address, network or host name'],
    ['1.2.3.4 accept', 'is not an address, network or host name'],
  ])('%j is refused: %s', (spec, why) => {
    expect(() => parseAllowNet(spec)).toThrow(
      expect.objectContaining({
        code: 'ERR_JRT_BAD_ALLOW_NET',
        exitCode: 2,
        message: `--allow-net: '${spec}' ${why}`,
      }),
    );
  });
});

describe('planEgressRuleset', () => {
  it('passes loopback and slirp DNS, then the exceptions, then refuses the ranges and the host', () => {
    const rules = planEgressRuleset(
      ['127.0.0.1', '192.0.2.10', '::1', '2001:db8::10', 'not-an-address'],
      [
        { family: 4, cidr: '10.1.2.3', port: 5432 },
        { family: 6, cidr: 'fd00::/64' },
      ],
    );
    const chain = rules.split('chain output {')[1]?.split('}\n  chain refuse')[0] ?? '';
    expect(
      chain
        .trim()
        .split('\n')
        .map((l) => l.trim()),
    ).toEqual([
      'type filter hook output priority filter; policy accept;',
      'oif "lo" accept',
      'ip daddr 10.0.2.3 meta l4proto { tcp, udp } th dport 53 accept',
      'ip daddr 10.1.2.3 meta l4proto { tcp, udp } th dport 5432 accept',
      'ip6 daddr fd00::/64 accept',
      'ip daddr @refused4 jump refuse',
      'ip6 daddr @refused6 jump refuse',
    ]);
    expect(rules).toContain(
      'elements = { 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 168.63.129.16/32, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16, 224.0.0.0/4, 240.0.0.0/4, 127.0.0.1, 192.0.2.10 }',
    );
    expect(rules).toContain(
      'elements = { ::/127, ::ffff:0:0/96, fc00::/7, fe80::/10, ff00::/8, ::1, 2001:db8::10 }',
    );
    expect(rules).not.toContain('not-an-address');
    expect(rules).toContain('meta l4proto tcp reject with tcp reset\n    reject with icmpx admin-prohibited');
  });
});

describe('planJobEgress', () => {
  const host = (over: Partial<EgressHost> = {}): EgressHost => ({
    addresses: () => ['192.0.2.10'],
    resolve: async (name) =>
      name === 'db.internal'
        ? [
            { address: '10.9.8.7', family: 4 },
            { address: 'fd00::9', family: 6 },
          ]
        : Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })),
    findTool: (name) => `/usr/sbin/${name}`,
    ...over,
  });

  it('resolves host names at start, to every address, keeping the port', async () => {
    const rules = await planJobEgress([parseAllowNet('db.internal:5432')], host());
    expect(rules).toContain('ip daddr 10.9.8.7 meta l4proto { tcp, udp } th dport 5432 accept');
    expect(rules).toContain('ip6 daddr fd00::9 meta l4proto { tcp, udp } th dport 5432 accept');
    expect(rules).toContain('192.0.2.10 }');
  });

  it('a name that does not resolve, or a resolver that fails: ERR_JRT_ALLOW_NET_RESOLVE (125)', async () => {
    await expect(planJobEgress([parseAllowNet('nope.internal:443')], host())).rejects.toMatchObject({
      code: 'ERR_JRT_ALLOW_NET_RESOLVE',
      exitCode: 125,
      message: '--allow-net nope.internal:443: no such host',
    });
    const failing = host({
      resolve: () =>
        Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN x'), { code: 'EAI_AGAIN' })),
    });
    await expect(planJobEgress([parseAllowNet('x.internal')], failing)).rejects.toMatchObject({
      code: 'ERR_JRT_ALLOW_NET_RESOLVE',
      message: '--allow-net x.internal: getaddrinfo EAI_AGAIN x',
    });
  });

  it('without nft: ERR_JRT_EGRESS naming the package, before any name is looked up', async () => {
    let looked = false;
    const none = host({
      findTool: () => undefined,
      resolve: async () => {
        looked = true;
        return [];
      },
    });
    await expect(planJobEgress([parseAllowNet('db.internal')], none)).rejects.toMatchObject({
      code: 'ERR_JRT_EGRESS',
      exitCode: 125,
      hint: expect.stringContaining('apt-get install nftables'),
    });
    expect(looked).toBe(false);
  });
});
