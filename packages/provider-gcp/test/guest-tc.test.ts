import { resolveLinks } from '@continuum/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  guestTcCommands,
  guestTcResetCommand,
  netemArgs,
  parseRouteDevice,
  tcBatch,
  tierClass,
} from '@continuum/plugin-api';

const links = resolveLinks('4g', {}, ['cloud', 'edge', 'endpoint']);
const peers = [
  { address: '10.0.0.2', tier: 'cloud' as const },
  { address: '10.0.0.3', tier: 'cloud' as const },
  { address: '10.0.1.2', tier: 'edge' as const },
  { address: '10.0.2.2', tier: 'endpoint' as const },
  { address: '10.0.2.3', tier: 'endpoint' as const },
];

describe('guest tc (upstream model: htb per destination tier + u32 + netem)', () => {
  it('shapes a cloud node towards cloud, edge and endpoint with upstream values', () => {
    const cmds = guestTcCommands({
      iface: 'ens4',
      self: { address: '10.0.0.2', tier: 'cloud' },
      peers,
      links,
    });
    expect(cmds[0]).toEqual(['tc', 'qdisc', 'replace', 'dev', 'ens4', 'root', 'handle', '1:', 'htb']);
    const joined = cmds.map((c) => c.join(' '));
    expect(joined).toContain(
      'tc class add dev ens4 parent 1: classid 1:1 htb rate 1000mbit ceil 1000mbit quantum 200000',
    );
    expect(joined).toContain(
      'tc class add dev ens4 parent 1: classid 1:3 htb rate 7.21mbit ceil 7.21mbit quantum 90125',
    );
    // cloud<->cloud has 0 ms: no netem under 1:1 (upstream adds netem only when avg > 0).
    expect(joined.some((c) => c.includes('parent 1:1 handle 10: netem'))).toBe(false);
    expect(joined).toContain(
      'tc qdisc add dev ens4 parent 1:2 handle 20: netem delay 7.5ms 2.5ms distribution normal limit 100000',
    );
    expect(joined).toContain(
      'tc qdisc add dev ens4 parent 1:3 handle 30: netem delay 45ms 5ms distribution normal limit 100000',
    );
    // Never a filter for itself, one per other peer.
    const filters = joined.filter((c) => c.includes(' filter '));
    expect(filters).toHaveLength(4);
    expect(filters.some((f) => f.includes('10.0.0.2/32'))).toBe(false);
    expect(filters).toContain(
      'tc filter add dev ens4 parent 1: protocol ip prio 3 u32 match ip dst 10.0.2.3/32 flowid 1:3',
    );
  });

  it('never shapes endpoint to endpoint', () => {
    const cmds = guestTcCommands({
      iface: 'ens4',
      self: { address: '10.0.2.2', tier: 'endpoint' },
      peers,
      links,
    });
    const joined = cmds.map((c) => c.join(' '));
    expect(joined.some((c) => c.includes('10.0.2.3'))).toBe(false);
    expect(joined.some((c) => c.includes(`classid 1:${tierClass('endpoint')}`))).toBe(false);
    expect(joined).toContain(
      'tc filter add dev ens4 parent 1: protocol ip prio 1 u32 match ip dst 10.0.0.2/32 flowid 1:1',
    );
  });

  it('adds loss, and omits the distribution without jitter', () => {
    expect(netemArgs({ latencyMs: 10, jitterMs: 0, lossPct: 0.5 })).toEqual([
      'delay',
      '10ms',
      'loss',
      '0.5%',
    ]);
    expect(netemArgs({ latencyMs: 0, jitterMs: 0, lossPct: 0 })).toBeUndefined();
    expect(netemArgs({ latencyMs: 0, jitterMs: 3, lossPct: 1 })).toEqual(['loss', '1%']);
  });

  it('skips tiers without peers and resets with one command', () => {
    const cmds = guestTcCommands({
      iface: 'eth0',
      self: { address: '10.0.1.2', tier: 'edge' },
      peers: [peers[0]!],
      links,
    });
    expect(cmds.map((c) => c[2])).toEqual(['replace', 'add', 'add', 'add']);
    expect(guestTcResetCommand('eth0')).toEqual(['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']);
  });

  it('finds the egress device from ip route get', () => {
    expect(parseRouteDevice('10.0.1.2 via 10.0.0.1 dev ens4 src 10.0.0.2 uid 1000 \\    cache')).toBe('ens4');
    expect(parseRouteDevice('RTNETLINK answers: Network is unreachable')).toBeUndefined();
  });

  it('renders tc -batch input and refuses anything that is not a plain tc argv', () => {
    expect(tcBatch([['tc', 'qdisc', 'add', 'dev', 'ens4', 'root', 'handle', '1:', 'htb']])).toBe(
      'qdisc add dev ens4 root handle 1: htb\n',
    );
    expect(() => tcBatch([['tc', 'qdisc', 'add', 'dev', 'ens4 root']])).toThrow(/not a plain tc command/);
    expect(() => tcBatch([['sh', '-c', 'x']])).toThrow(/not a plain tc command/);
  });
});
