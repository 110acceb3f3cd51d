import { describe, expect, it } from 'vitest';
import { resolveLinks } from '@continuum/plugin-api';
import { netemArgs } from '@continuum/plugin-api';
import { guestTcBatch } from '../src/net/guest-tc.js';

const nodes = [
  { name: 'cloud0', tier: 'cloud' as const, address: '192.168.100.2' },
  { name: 'cloud1', tier: 'cloud' as const, address: '192.168.100.3' },
  { name: 'edge0', tier: 'edge' as const, address: '192.168.100.4' },
  { name: 'endpoint0', tier: 'endpoint' as const, address: '192.168.100.5' },
  { name: 'endpoint1', tier: 'endpoint' as const, address: '192.168.100.6' },
];
const links = resolveLinks('4g', { 'cloud-endpoint': { lossPct: 1 } }, ['cloud', 'edge', 'endpoint']);

describe('guest tc (upstream model: htb class per destination tier + netem)', () => {
  it('shapes a cloud VM towards cloud, edge and endpoint groups', () => {
    const batch = guestTcBatch(nodes[0]!, nodes, links, 'ens3');
    expect(batch[0]).toBe('qdisc replace dev ens3 root handle 1: htb');
    expect(batch).toContain(
      'class add dev ens3 parent 1: classid 1:1 htb rate 1000mbit ceil 1000mbit quantum 200000',
    );
    expect(batch).toContain(
      'filter add dev ens3 parent 1: protocol ip prio 1 u32 match ip dst 192.168.100.3/32 flowid 1:1',
    );
    // cloud<->cloud has 0 ms: no netem under class 1
    expect(batch.some((l) => l.includes('parent 1:1 handle 10: netem'))).toBe(false);
    expect(batch).toContain(
      'qdisc add dev ens3 parent 1:2 handle 20: netem delay 7.5ms 2.5ms distribution normal limit 100000',
    );
    expect(batch).toContain(
      'class add dev ens3 parent 1: classid 1:3 htb rate 7.21mbit ceil 7.21mbit quantum 90125',
    );
    expect(batch).toContain(
      'qdisc add dev ens3 parent 1:3 handle 30: netem delay 45ms 5ms distribution normal loss 1% limit 100000',
    );
    expect(batch.filter((l) => l.startsWith('filter')).length).toBe(4);
  });
  it('never shapes endpoint to endpoint', () => {
    const batch = guestTcBatch(nodes[3]!, nodes, links, 'ens3');
    expect(batch.some((l) => l.includes('192.168.100.6'))).toBe(false);
    expect(batch.some((l) => l.includes('classid 1:3'))).toBe(false);
    expect(batch.some((l) => l.includes('192.168.100.2'))).toBe(true);
  });
  it('returns nothing when no link applies', () => {
    const only = [nodes[3]!, nodes[4]!];
    expect(guestTcBatch(only[0]!, only, links, 'ens3')).toEqual([]);
  });
  it('netem arguments for delay only, jitter, loss', () => {
    expect(netemArgs({ latencyMs: 10, jitterMs: 0, lossPct: 0 })).toEqual(['delay', '10ms']);
    expect(netemArgs({ latencyMs: 0, jitterMs: 0, lossPct: 2.5 })).toEqual(['loss', '2.5%']);
    expect(netemArgs({ latencyMs: 0, jitterMs: 0, lossPct: 0 })).toBeUndefined();
  });
});
