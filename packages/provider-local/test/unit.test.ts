import { describe, expect, it } from 'vitest';
import { resolveLinks, resolveNodes } from '@continuum/plugin-api';
import type { TierSpec } from '@continuum/plugin-api';
import {
  cidrOverlaps,
  hostPrefixesFromIpJson,
  pickSubnet,
  planAddresses,
  tierCidr,
} from '../src/address-plan.js';
import { cgroupValues, detectCgroupLayout, nodeCgroupDirs } from '../src/cgroups.js';
import { checkTopology, resolveMode } from '../src/index.js';
import { isRunInterface, isRunNamespace, runNames } from '../src/naming.js';
import { JOIN_CGROUPS_SCRIPT, wrapCommand } from '../src/nodes.js';
import { DEFAULT_OPTIONS, localOptionsSchema } from '../src/options.js';
import { htbQuantum, relayConfig, relayRules, tcBatch } from '../src/shaping.js';
import { samplingSlackMs, throughputOk } from '../src/check-emulation.js';
import { createTestContext } from '@continuum/plugin-api/testing';

const tier = (nodes: number, extra: Partial<TierSpec> = {}): TierSpec => ({
  nodes,
  cores: 1,
  memoryMiB: 512,
  cpuQuota: 1,
  diskReadMBps: 0,
  diskWriteMBps: 0,
  ...extra,
});

describe('naming', () => {
  it('embeds the run tag and keeps interface names within 15 characters', () => {
    const n = runNames('k3x9ab');
    expect(n.bridge).toBe('ctk3x9abbr');
    expect(n.hostVeth(99999)).toBe('ctk3x9abv99999');
    expect(n.hostVeth(99999).length).toBeLessThanOrEqual(15);
    expect(n.namespace('cloud_controller')).toBe('ct-k3x9ab-cloud_controller');
    expect(n.cgroupNode('edge0')).toBe('continuum-k3x9ab/edge0');
    expect(n.hub).toBe('ct-k3x9ab-hub');
    expect(() => n.bridgeTap(1234567)).toThrow(/exceeds 15/);
    expect(() => runNames('BAD TAG')).toThrow();
  });

  it('recognises only its own run objects', () => {
    expect(isRunInterface('ab12', 'ctab12v3')).toBe(true);
    expect(isRunInterface('ab12', 'ctab12br')).toBe(true);
    expect(isRunInterface('ab12', 'ctab12xv3')).toBe(false);
    expect(isRunInterface('ab', 'ctab12v3')).toBe(false);
    expect(isRunInterface('ab12', 'eth0')).toBe(false);
    expect(isRunNamespace('ab12', 'ct-ab12-edge0')).toBe(true);
    expect(isRunNamespace('ab12', 'ct-ab123-edge0')).toBe(false);
  });
});

describe('address plan', () => {
  it('gives each tier its own block and each node a distinct address', () => {
    const nodes = resolveNodes({ cloud: tier(2), edge: tier(2), endpoint: tier(3) }, true);
    const planned = planAddresses('10.140.0.0/16', nodes);
    expect(planned.map((p) => [p.name, p.address])).toEqual([
      ['cloud_controller', '10.140.0.2'],
      ['cloud0', '10.140.0.3'],
      ['edge0', '10.140.16.2'],
      ['edge1', '10.140.16.3'],
      ['endpoint0', '10.140.32.2'],
      ['endpoint1', '10.140.32.3'],
      ['endpoint2', '10.140.32.4'],
    ]);
    expect(tierCidr('10.140.0.0/16', 'edge')).toBe('10.140.16.0/20');
    expect(tierCidr('10.140.0.0/16', 'endpoint')).toBe('10.140.32.0/19');
    const many = planAddresses(
      '10.140.0.0/16',
      resolveNodes({ cloud: tier(0), edge: tier(0), endpoint: tier(300) }, false),
    );
    expect(many.at(-1)?.address).toBe('10.140.33.45');
  });

  it('rejects a subnet that is not a /16', () => {
    expect(() => planAddresses('10.1.0.0/24', [])).toThrow(/must be a \/16/);
  });

  it('picks a /16 that avoids host routes and addresses', () => {
    const first = pickSubnet('ab12', []);
    expect(first).toMatch(/^10\.\d+\.0\.0\/16$/);
    const second = pickSubnet('ab12', [first.replace('0.0/16', '5.0/24')]);
    expect(second).not.toBe(first);
    expect(pickSubnet('ab12', ['0.0.0.0/0'])).toBe(first);
    expect(cidrOverlaps('10.0.0.0/8', '10.140.0.0/16')).toBe(true);
    expect(cidrOverlaps('192.0.2.0/24', '10.140.0.0/16')).toBe(false);
  });

  it('reads host prefixes from ip -j output', () => {
    const routes = JSON.stringify([{ dst: 'default' }, { dst: '192.0.2.0/24' }, { dst: '10.9.9.9' }]);
    const addrs = JSON.stringify([
      {
        addr_info: [
          { family: 'inet', local: '172.16.0.5', prefixlen: 12 },
          { family: 'inet6', local: '::1' },
        ],
      },
    ]);
    expect(hostPrefixesFromIpJson(routes, addrs)).toEqual(['192.0.2.0/24', '10.9.9.9/32', '172.16.0.5/12']);
    expect(hostPrefixesFromIpJson('garbage', '')).toEqual([]);
  });
});

describe('tc command generation (upstream model)', () => {
  const links = resolveLinks('4g', { 'cloud-endpoint': { lossPct: 1 } }, ['cloud', 'edge', 'endpoint']);

  it('shapes a cloud node per destination tier with htb + u32, and adds netem children when netem exists', () => {
    const lines = tcBatch({ dev: 'eth0', subnet: '10.140.0.0/16', from: 'cloud', links, backend: 'netem' });
    expect(lines).toEqual([
      'qdisc add dev eth0 root handle 1: htb',
      'class add dev eth0 parent 1: classid 1:1 htb rate 1000mbit ceil 1000mbit quantum 200000 burst 250000 cburst 250000',
      'filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.140.0.0/20 flowid 1:1',
      'class add dev eth0 parent 1: classid 1:2 htb rate 1000mbit ceil 1000mbit quantum 200000 burst 250000 cburst 250000',
      'qdisc add dev eth0 parent 1:2 handle 20: netem delay 7.5ms 2.5ms distribution normal',
      'filter add dev eth0 parent 1: protocol ip prio 2 u32 match ip dst 10.140.16.0/20 flowid 1:2',
      'class add dev eth0 parent 1: classid 1:3 htb rate 7.21mbit ceil 7.21mbit quantum 90125',
      'qdisc add dev eth0 parent 1:3 handle 30: netem delay 45ms 5ms distribution normal loss 1%',
      'filter add dev eth0 parent 1: protocol ip prio 3 u32 match ip dst 10.140.32.0/19 flowid 1:3',
    ]);
  });

  it('leaves delay to the relay (no netem lines) and never shapes endpoint to endpoint', () => {
    const lines = tcBatch({
      dev: 'eth0',
      subnet: '10.140.0.0/16',
      from: 'endpoint',
      links,
      backend: 'userspace-relay',
    });
    expect(lines.some((l) => l.includes('netem'))).toBe(false);
    expect(lines.some((l) => l.includes('10.140.32.0/19'))).toBe(false);
    expect(lines.filter((l) => l.startsWith('class'))).toHaveLength(2);
    expect(
      tcBatch({ dev: 'eth0', subnet: '10.140.0.0/16', from: 'endpoint', links: [], backend: 'netem' }),
    ).toEqual([]);
  });

  it('clamps the htb quantum to the range the kernel accepts without warnings', () => {
    expect(htbQuantum(0.1)).toBe(1514);
    expect(htbQuantum(7.21)).toBe(90125);
    expect(htbQuantum(10000)).toBe(200000);
  });
});

describe('relay config', () => {
  it('has one rule per delayed destination tier, in microseconds and ppm', () => {
    const links = resolveLinks('4g', { 'cloud-endpoint': { lossPct: 0.5 } }, ['cloud', 'endpoint']);
    const rules = relayRules('10.140.0.0/16', 'cloud', links);
    // cloud->cloud has no delay: forwarded at once, so no rule.
    expect(rules).toEqual([{ cidr: '10.140.32.0/19', delayUs: 45000, jitterUs: 5000, lossPpm: 5000 }]);
    const hub = { namespacePath: '/run/netns/ct-ab12-hub', bridge: 'ctab12br' };
    const pair = {
      namespacePath: '/run/netns/ct-ab12-cloud0',
      address: '10.140.0.2/16',
      bridgeTap: 'ctab12b0',
    };
    // A lossy node gets no TSO (offload 0) so loss hits single packets.
    expect(relayConfig(hub, [{ ...pair, rules }], 7)).toBe(
      'seed 7\nhub /run/netns/ct-ab12-hub ctab12br\npair /run/netns/ct-ab12-cloud0 10.140.0.2/16 ctab12b0 0\nrule 10.140.32.0/19 45000 5000 5000\n',
    );
    const lossless = relayRules('10.140.0.0/16', 'cloud', resolveLinks('4g', {}, ['cloud', 'endpoint']));
    expect(relayConfig(hub, [{ ...pair, rules: lossless }], 7)).toContain('ctab12b0 1\n');
  });
});

describe('cgroups', () => {
  it('turns cores x quota into a CFS quota and MiB into bytes', () => {
    const v = cgroupValues({ cores: 2, cpuQuota: 0.5, memoryMiB: 256 });
    expect(v).toEqual({
      cfsQuotaUs: 100000,
      cfsPeriodUs: 100000,
      cpuMax: '100000 100000',
      memoryBytes: 268435456,
    });
    expect(cgroupValues({ cores: 0.25, cpuQuota: 0.1, memoryMiB: 1 }).cfsQuotaUs).toBe(2500);
  });

  it('detects v1 hierarchies from /proc/mounts', () => {
    const mounts = [
      'tmpfs /sys/fs/cgroup tmpfs rw 0 0',
      'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
      'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
      'cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0',
    ].join('\n');
    const layout = detectCgroupLayout(mounts);
    expect(layout).toEqual({
      version: 1,
      cpuRoot: '/sys/fs/cgroup/cpu',
      memoryRoot: '/sys/fs/cgroup/memory',
    });
    expect(nodeCgroupDirs(layout, 'continuum-ab/edge0')).toEqual([
      '/sys/fs/cgroup/cpu/continuum-ab/edge0',
      '/sys/fs/cgroup/memory/continuum-ab/edge0',
    ]);
    expect(detectCgroupLayout('proc /proc proc rw 0 0').version).toBe('none');
  });
});

describe('node command wrapping', () => {
  const details = { namespace: 'ct-ab-edge0', cgroups: ['/cg/cpu/x', '/cg/memory/x'] };
  it('joins the cgroups before entering the namespace for limited processes only', () => {
    expect(wrapCommand(details, ['ping', '-c', '1', 'x'], false)).toEqual([
      'ip',
      'netns',
      'exec',
      'ct-ab-edge0',
      'ping',
      '-c',
      '1',
      'x',
    ]);
    expect(wrapCommand(details, ['worker', '--flag'], true)).toEqual([
      'sh',
      '-c',
      JOIN_CGROUPS_SCRIPT,
      'continuum-join',
      '2',
      '/cg/cpu/x',
      '/cg/memory/x',
      'ip',
      'netns',
      'exec',
      'ct-ab-edge0',
      'worker',
      '--flag',
    ]);
    expect(wrapCommand({}, ['true'], true)).toEqual(['true']);
  });
});

describe('options and mode', () => {
  it('has defaults and rejects unknown keys', () => {
    expect(DEFAULT_OPTIONS.mode).toBe('auto');
    expect(DEFAULT_OPTIONS.validation.pings).toBeGreaterThan(2);
    expect(localOptionsSchema.safeParse({ subnet: '10.1.0.0/24' }).success).toBe(false);
    expect(localOptionsSchema.safeParse({ bogus: 1 }).success).toBe(false);
    expect(
      localOptionsSchema.safeParse({ mode: 'netns', delay: 'relay', subnet: '10.55.0.0/16' }).success,
    ).toBe(true);
  });

  it('falls back to processes without privileges', () => {
    expect(resolveMode(DEFAULT_OPTIONS, false).mode).toBe('process');
    expect(resolveMode(DEFAULT_OPTIONS, true).mode).toBe('netns');
    expect(resolveMode({ ...DEFAULT_OPTIONS, mode: 'process' }, true).mode).toBe('process');
  });

  it('rejects more cores per node than the host has, naming the key', () => {
    const ctx = createTestContext({
      config: DEFAULT_OPTIONS,
      tiers: { cloud: { nodes: 1, cores: 64 }, endpoint: { nodes: 1 } },
    });
    const diags = checkTopology(ctx as never);
    expect(diags).toHaveLength(1);
    expect(diags[0]?.path).toBe('infrastructure.cloud.cores');
    expect(diags[0]?.hint).toMatch(/at most 2/);
  });
});

describe('validation bounds', () => {
  it('allows for sampling noise from jitter and checks throughput at 90-105 %', () => {
    const links = resolveLinks('4g', {}, ['cloud', 'endpoint']);
    const a = { tier: 'cloud' } as never;
    const b = { tier: 'endpoint' } as never;
    const slack = samplingSlackMs(links, a, b, 40);
    expect(slack).toBeCloseTo((2 * 1.2533 * Math.sqrt(50)) / Math.sqrt(40), 5);
    expect(throughputOk(6.9, 7.21)).toBe(true);
    expect(throughputOk(6.0, 7.21)).toBe(false);
    expect(throughputOk(8.0, 7.21)).toBe(false);
  });
});
