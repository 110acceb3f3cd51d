import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveLinks, resolveNodes, validateWithSchema } from '@continuum/plugin-api';
import type { Tier, TierSpec, Topology } from '@continuum/plugin-api';
import { describe, expect, it } from 'vitest';
import { buildPlan, planItems } from '../src/plan.js';
import { gcpOptionsSchema, parseGcpOptions } from '../src/options.js';
import { instanceBody, firewallBody, networkBody, subnetBody } from '../src/gcp/resources.js';
import { machinePricePerHour } from '../src/pricing.js';
import { loadLegacyGcp } from './support/legacy-cfg.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures', 'legacy-gcp');
const FILL = { project: 'continuum-123456', region: 'europe-west4', zone: 'europe-west4-a' };
const RUN = '20261123-182000-k3x9';

function topology(counts: Partial<Record<Tier, number>>, withController = false): Topology {
  const spec = (n: number): TierSpec => ({
    nodes: n,
    cores: 2,
    memoryMiB: 4096,
    cpuQuota: 1,
    diskReadMBps: 0,
    diskWriteMBps: 0,
  });
  const tiers = {
    cloud: spec(counts.cloud ?? 0),
    edge: spec(counts.edge ?? 0),
    endpoint: spec(counts.endpoint ?? 0),
  };
  const present = (['cloud', 'edge', 'endpoint'] as Tier[]).filter((t) => tiers[t].nodes > 0);
  return {
    mode: 'cloud',
    tiers,
    nodes: resolveNodes(tiers, withController),
    network: { emulation: true, preset: '4g', links: resolveLinks('4g', {}, present) },
  };
}

describe('options', () => {
  it('applies defaults and derives the region from the zone', () => {
    const o = parseGcpOptions({ project: 'continuum-123456', zone: 'europe-west4-a' });
    expect(o.machineTypes).toEqual({ cloud: 'e2-standard-4', edge: 'e2-standard-2', endpoint: 'e2-medium' });
    expect(o.image).toEqual({ project: 'ubuntu-os-cloud', family: 'ubuntu-2404-lts-amd64' });
    expect(o.sshSourceCidr).toBe('auto');
    expect(buildPlan(topology({ cloud: 1 }), o, RUN).region).toBe('europe-west4');
  });

  it('rejects unknown keys, quoted values, a zone outside the region and overlapping subnets, with paths', async () => {
    const r = await validateWithSchema(
      gcpOptionsSchema,
      {
        project: '"continuum-123456"',
        region: 'us-central1',
        zone: 'europe-west4-a',
        machineTypes: { cloud: '"e2-medium"' },
        subnetCidrs: { edge: '10.0.0.128/25' },
        sshSourceCidr: '0.0.0.0',
        bogus: 1,
      },
      ['provider', 'options'],
    );
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'provider.options',
        'provider.options.project',
        'provider.options.machineTypes.cloud',
        'provider.options.sshSourceCidr',
      ]),
    );
    const ok = await validateWithSchema(gcpOptionsSchema, {
      project: 'continuum-123456',
      region: 'us-central1',
      zone: 'europe-west4-a',
      subnetCidrs: { edge: '10.0.0.128/25' },
    });
    expect(ok.ok).toBe(false);
    expect(ok.ok ? [] : ok.issues.map((i) => i.message).join('\n')).toMatch(
      /not in region us-central1[\s\S]*overlaps subnetCidrs.cloud/,
    );
  });
});

describe('resource plan from the upstream gcp configs', () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.cfg'));

  it('finds all upstream gcp test configs', () => {
    expect(files.length).toBe(11);
  });

  for (const file of files) {
    it(`${file}: one VM per node, one subnet per tier in use, two firewall rules, priced`, () => {
      const legacy = loadLegacyGcp(join(fixtures, file), FILL);
      const options = parseGcpOptions(legacy.options);
      const plan = buildPlan(legacy.topology, options, RUN);
      expect(plan.problems).toEqual([]);
      expect(plan.instances.map((i) => i.node)).toEqual(legacy.topology.nodes.map((n) => n.name));
      const tiers = [...new Set(legacy.topology.nodes.map((n) => n.tier))];
      expect(plan.subnets.map((s) => s.tier).sort()).toEqual([...tiers].sort());
      for (const i of plan.instances) {
        // Machine type per tier as the config says (quotes stripped).
        expect(i.machineType).toBe((legacy.options['machineTypes'] as Record<string, string>)[i.tier]);
        expect(i.name).toMatch(/^continuum-k3x9-[a-z0-9-]+$/);
        expect(i.labels['continuum-run']).toBe(RUN);
        expect(i.subnet).toBe(`continuum-k3x9-${i.tier}`);
      }
      expect(plan.firewalls.map((f) => f.name)).toEqual([
        'continuum-k3x9-allow-internal',
        'continuum-k3x9-allow-ssh',
      ]);
      expect(plan.firewalls[0]?.sourceRanges).toEqual(plan.subnets.map((s) => s.cidr));
      expect(plan.cost.unknownMachineTypes).toEqual([]);
      const expected = plan.instances.reduce((sum, i) => sum + (i.pricePerHourUsd ?? 0), 0);
      expect(plan.cost.perHourUsd).toBeCloseTo(expected, 3);
      const items = planItems(plan);
      expect(items.filter((x) => x.resource === 'gcp-instance')).toHaveLength(legacy.topology.nodes.length);
      expect(items.at(-1)?.resource).toBe('cost-estimate');
    });
  }

  it('05_kuberentes-img: controller + worker on e2-standard-4, endpoints on e2-medium, exact price', () => {
    const legacy = loadLegacyGcp(join(fixtures, '05_kuberentes-img.cfg'), FILL);
    const plan = buildPlan(legacy.topology, parseGcpOptions(legacy.options), RUN);
    expect(plan.instances.map((i) => [i.name, i.machineType])).toEqual([
      ['continuum-k3x9-cloud-controller', 'e2-standard-4'],
      ['continuum-k3x9-cloud0', 'e2-standard-4'],
      ['continuum-k3x9-endpoint0', 'e2-medium'],
      ['continuum-k3x9-endpoint1', 'e2-medium'],
    ]);
    // 2 x e2-standard-4 + 2 x e2-medium + 4 x (30 GB pd-balanced + external IP)
    const expected = 2 * 0.13402 + 2 * 0.03351 + 4 * ((0.1 * 30) / 730 + 0.005);
    expect(plan.cost.perHourUsd).toBeCloseTo(expected, 4);
  });

  it('04_infraonly-all keeps the per-link overrides in the topology the guests will use', () => {
    const legacy = loadLegacyGcp(join(fixtures, '04_infraonly-all.cfg'), FILL);
    const ee = legacy.topology.network.links.find((l) => l.from === 'edge' && l.to === 'endpoint');
    expect(ee).toMatchObject({ latencyMs: 12.5, rateMbit: 29.66 });
    const ce = legacy.topology.network.links.find((l) => l.from === 'cloud' && l.to === 'edge');
    expect(ce?.rateMbit).toBe(900);
  });
});

describe('plan edge cases', () => {
  const options = parseGcpOptions({
    project: 'continuum-123456',
    zone: 'us-central1-a',
    sshSourceCidr: '203.0.113.7/32',
  });

  it('reports tiers that do not fit their subnet', () => {
    const plan = buildPlan(topology({ endpoint: 300 }), options, RUN);
    expect(plan.problems.map((p) => p.path)).toEqual(['subnetCidrs.endpoint']);
    expect(plan.problems[0]?.message).toMatch(/300 endpoint nodes do not fit in 10.0.2.0\/24 \(252/);
    const wide = buildPlan(
      topology({ endpoint: 300 }),
      parseGcpOptions({ ...options, subnetCidrs: { endpoint: '10.0.16.0/20' } }),
      RUN,
    );
    expect(wide.problems).toEqual([]);
  });

  it('leaves unknown machine types unpriced instead of guessing, and prices custom types', () => {
    const plan = buildPlan(
      topology({ cloud: 1, edge: 1 }),
      parseGcpOptions({ ...options, machineTypes: { cloud: 'a3-megagpu-8g', edge: 'custom-4-8192' } }),
      RUN,
    );
    expect(plan.cost.unknownMachineTypes).toEqual(['a3-megagpu-8g']);
    expect(plan.instances[0]?.pricePerHourUsd).toBeUndefined();
    expect(machinePricePerHour('custom-4-8192')).toBeCloseTo(4 * 0.033174 + 8 * 0.004446, 6);
  });

  it('builds request bodies that carry labels, the run id, the SSH key and the internal-only network', () => {
    const plan = buildPlan(topology({ cloud: 1, endpoint: 1 }, true), options, RUN);
    const body = instanceBody(plan, plan.instances[0]!, {
      sshUser: 'continuum',
      publicKey: 'ssh-ed25519 AAAA test',
      externalIp: true,
      image: options.image,
    });
    expect(body.labels).toMatchObject({
      'continuum-run': RUN,
      'continuum-node': 'cloud_controller',
      'continuum-tier': 'cloud',
      'managed-by': 'continuum',
    });
    expect(body.machineType).toBe('zones/us-central1-a/machineTypes/e2-standard-4');
    expect(body.disks?.[0]?.initializeParams).toMatchObject({
      sourceImage: 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64',
      diskSizeGb: 30,
    });
    expect(body.metadata?.items).toContainEqual({
      key: 'ssh-keys',
      value: 'continuum:ssh-ed25519 AAAA test',
    });
    expect(body.networkInterfaces?.[0]?.subnetwork).toBe(
      'projects/continuum-123456/regions/us-central1/subnetworks/continuum-k3x9-cloud',
    );
    expect(networkBody(plan)).toMatchObject({
      autoCreateSubnetworks: false,
      description: `continuum run ${RUN}`,
    });
    expect(subnetBody(plan, plan.subnets[1]!)).toMatchObject({
      ipCidrRange: '10.0.2.0/24',
      name: 'continuum-k3x9-endpoint',
    });
    const ssh = firewallBody(plan, plan.firewalls[1]!);
    expect(ssh).toMatchObject({
      sourceRanges: ['203.0.113.7/32'],
      allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
      direction: 'INGRESS',
    });
    // Nothing is open to the world.
    for (const f of plan.firewalls) expect(f.sourceRanges).not.toContain('0.0.0.0/0');
  });

  it('plans 100 nodes with unique names and addresses to spare', () => {
    const plan = buildPlan(topology({ cloud: 10, edge: 30, endpoint: 60 }, true), options, RUN);
    expect(plan.instances).toHaveLength(100);
    expect(new Set(plan.instances.map((i) => i.name)).size).toBe(100);
    expect(plan.problems).toEqual([]);
  });
});
