import { describe, expect, it } from 'vitest';
import { resolveNodes, type TierSpec } from '@continuum/plugin-api';
import { cidrOverlaps, macFor, names, planAddresses } from '../src/naming.js';

const tier = (nodes: number): TierSpec => ({
  nodes,
  cores: 1,
  memoryMiB: 512,
  cpuQuota: 1,
  diskReadMBps: 0,
  diskWriteMBps: 0,
});

describe('naming', () => {
  it('uses upstream names with the run tag in place of the user, and tag-carrying interface names <= 15 chars', () => {
    expect(names.domain('cloud_controller', 'k3x9ab')).toBe('cloud_controller_k3x9ab');
    expect(names.hostname('cloud_controller')).toBe('cloudcontroller');
    for (const n of [names.bridge('k3x9ab'), names.tap('k3x9ab', 249), names.vxlan('k3x9ab', 9)]) {
      expect(n.length).toBeLessThanOrEqual(15);
      expect(n).toContain('k3x9ab');
    }
  });
  it('MACs are locally administered, unique per index and stable', () => {
    const a = macFor('k3x9ab', 0);
    expect(a).toMatch(/^52:54:([0-9a-f]{2}:){3}[0-9a-f]{2}$/);
    expect(macFor('k3x9ab', 1)).not.toBe(a);
    expect(macFor('k3x9ab', 0)).toBe(a);
  });
});

describe('IP plan (upstream prefixIP.middleIP.N)', () => {
  it('assigns .2.. in order controller, cloud workers, edge, endpoint; gateway .1; /24', () => {
    const nodes = resolveNodes({ cloud: tier(2), edge: tier(1), endpoint: tier(2) }, true);
    const plan = planAddresses(nodes, '192.168', 100);
    expect([...plan.byNode.entries()]).toEqual([
      ['cloud_controller', '192.168.100.2'],
      ['cloud0', '192.168.100.3'],
      ['edge0', '192.168.100.4'],
      ['endpoint0', '192.168.100.5'],
      ['endpoint1', '192.168.100.6'],
    ]);
    expect(plan.gateway).toBe('192.168.100.1');
    expect(plan.prefixLength).toBe(24);
    expect(plan.subnet).toBe('192.168.100.0/24');
  });
  it('moves to the next third octet after .251 and widens to /16', () => {
    const nodes = resolveNodes({ cloud: tier(0), edge: tier(0), endpoint: tier(252) }, false);
    const plan = planAddresses(nodes, '10.20', 5);
    expect(plan.byNode.get('endpoint249')).toBe('10.20.5.251');
    expect(plan.byNode.get('endpoint250')).toBe('10.20.6.2');
    expect(plan.prefixLength).toBe(16);
  });
  it('rejects bad prefixes and overflowing plans with a ContinuumError', () => {
    const nodes = resolveNodes({ cloud: tier(1), edge: tier(0), endpoint: tier(0) }, false);
    expect(() => planAddresses(nodes, '300.1', 100)).toThrow(/prefixIP/);
    expect(() => planAddresses(nodes, '192', 100)).toThrow(
      expect.objectContaining({ code: 'QEMU_BAD_PREFIX' }),
    );
    const many = resolveNodes({ cloud: tier(0), edge: tier(0), endpoint: tier(251) }, false);
    expect(() => planAddresses(many, '192.168', 254)).toThrow(
      expect.objectContaining({ code: 'QEMU_TOO_MANY_NODES' }),
    );
  });
  it('detects overlapping subnets', () => {
    expect(cidrOverlaps('192.168.100.1/24', '192.168.100.0/24')).toBe(true);
    expect(cidrOverlaps('192.168.0.5/16', '192.168.100.0/24')).toBe(true);
    expect(cidrOverlaps('192.168.101.1/24', '192.168.100.0/24')).toBe(false);
    expect(cidrOverlaps('10.0.0.1/8', '192.168.100.0/24')).toBe(false);
  });
});
