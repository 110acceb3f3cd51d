import { TIERS } from '@continuum/plugin-api';
import type { PlanItem, Role, Tier, Topology } from '@continuum/plugin-api';
import {
  firewallName,
  instanceName,
  labelValue,
  LABEL_NODE,
  LABEL_TIER,
  networkName,
  runLabels,
  subnetName,
} from './naming.js';
import type { GcpOptions } from './options.js';
import { regionOf, usableAddresses } from './options.js';
import {
  diskPricePerHour,
  EXTERNAL_IP_USD_PER_HOUR,
  machinePricePerHour,
  PRICE_TABLE_DATE,
} from './pricing.js';

export interface PlannedSubnet {
  tier: Tier;
  name: string;
  cidr: string;
}

export interface PlannedFirewall {
  name: string;
  purpose: 'internal' | 'ssh';
  sourceRanges: string[];
  /** `all`, or protocol:port as in gcloud (`tcp:22`). */
  allow: { protocol: string; ports?: string[] }[];
}

export interface PlannedInstance {
  node: string;
  tier: Tier;
  role: Role;
  name: string;
  machineType: string;
  subnet: string;
  diskGb: number;
  diskType: string;
  labels: Record<string, string>;
  /** USD per hour for machine + disk + external IP; undefined when the machine type is not in the table. */
  pricePerHourUsd: number | undefined;
}

export interface GcpPlan {
  runId: string;
  project: string;
  region: string;
  zone: string;
  network: string;
  subnets: PlannedSubnet[];
  firewalls: PlannedFirewall[];
  instances: PlannedInstance[];
  cost: { perHourUsd: number; unknownMachineTypes: string[]; priceTableDate: string };
  /** Problems that make the plan impossible (reported by validate). */
  problems: { path: string; message: string; hint?: string }[];
}

/**
 * The complete set of resources a run creates, from the topology and the options alone (no API
 * calls): one VPC, one subnet per tier in use, two firewall rules, one VM per node.
 */
export function buildPlan(topology: Topology, options: GcpOptions, runId: string): GcpPlan {
  const region = regionOf(options);
  const network = networkName(runId, options.network);
  const tiersInUse = TIERS.filter((t) => topology.nodes.some((n) => n.tier === t));
  const problems: GcpPlan['problems'] = [];
  const subnets: PlannedSubnet[] = tiersInUse.map((tier) => ({
    tier,
    name: subnetName(runId, tier),
    cidr: options.subnetCidrs[tier],
  }));
  for (const subnet of subnets) {
    const count = topology.nodes.filter((n) => n.tier === subnet.tier).length;
    const room = usableAddresses(subnet.cidr);
    if (count > room) {
      problems.push({
        path: `subnetCidrs.${subnet.tier}`,
        message: `${count} ${subnet.tier} nodes do not fit in ${subnet.cidr} (${room} usable addresses)`,
        hint: 'Use a larger subnet, e.g. a /20.',
      });
    }
  }
  const firewalls: PlannedFirewall[] = [
    {
      name: firewallName(runId, 'internal'),
      purpose: 'internal',
      sourceRanges: subnets.map((s) => s.cidr),
      allow: [{ protocol: 'all' }],
    },
    {
      name: firewallName(runId, 'ssh'),
      purpose: 'ssh',
      sourceRanges: [options.sshSourceCidr],
      allow: [{ protocol: 'tcp', ports: [String(options.sshPort)] }],
    },
  ];
  const unknown = new Set<string>();
  let perHour = 0;
  const instances: PlannedInstance[] = topology.nodes.map((node) => {
    const machineType = options.machineTypes[node.tier];
    const machine = machinePricePerHour(machineType);
    if (machine === undefined) unknown.add(machineType);
    const price =
      machine === undefined
        ? undefined
        : machine +
          diskPricePerHour(options.diskType, options.diskGb) +
          (options.externalIps ? EXTERNAL_IP_USD_PER_HOUR : 0);
    perHour += price ?? 0;
    return {
      node: node.name,
      tier: node.tier,
      role: node.role,
      name: instanceName(runId, node.name),
      machineType,
      subnet: subnetName(runId, node.tier),
      diskGb: options.diskGb,
      diskType: options.diskType,
      labels: { ...runLabels(runId), [LABEL_NODE]: labelValue(node.name), [LABEL_TIER]: node.tier },
      pricePerHourUsd: price,
    };
  });
  const names = new Set<string>();
  for (const i of instances) {
    if (names.has(i.name))
      problems.push({ path: 'infrastructure', message: `two nodes map to the instance name ${i.name}` });
    names.add(i.name);
  }
  return {
    runId,
    project: options.project,
    region,
    zone: options.zone,
    network,
    subnets,
    firewalls,
    instances,
    cost: {
      perHourUsd: Math.round(perHour * 10000) / 10000,
      unknownMachineTypes: [...unknown],
      priceTableDate: PRICE_TABLE_DATE,
    },
    problems,
  };
}

/** The lines of `continuum plan`. */
export function planItems(plan: GcpPlan): PlanItem[] {
  const items: PlanItem[] = [
    {
      resource: 'gcp-network',
      name: plan.network,
      details: { project: plan.project, autoCreateSubnetworks: false },
    },
    ...plan.subnets.map((s) => ({
      resource: 'gcp-subnetwork',
      name: s.name,
      details: { region: plan.region, cidr: s.cidr, tier: s.tier },
    })),
    ...plan.firewalls.map((f) => ({
      resource: 'gcp-firewall',
      name: f.name,
      details: {
        direction: 'INGRESS',
        sourceRanges: f.sourceRanges.join(','),
        allow: f.allow.map((a) => (a.ports ? `${a.protocol}:${a.ports.join(',')}` : a.protocol)).join(','),
      },
    })),
    ...plan.instances.map((i) => ({
      resource: 'gcp-instance',
      name: i.name,
      details: {
        node: i.node,
        zone: plan.zone,
        machineType: i.machineType,
        disk: `${i.diskGb} GB ${i.diskType}`,
        ...(i.pricePerHourUsd !== undefined
          ? { usdPerHour: Math.round(i.pricePerHourUsd * 10000) / 10000 }
          : { usdPerHour: 'unknown' }),
      },
    })),
  ];
  items.push({
    resource: 'cost-estimate',
    name: 'hourly',
    details: {
      usdPerHour: plan.cost.perHourUsd,
      basis: `approximate on-demand us-central1 prices of ${plan.cost.priceTableDate}`,
      ...(plan.cost.unknownMachineTypes.length > 0
        ? { notPriced: plan.cost.unknownMachineTypes.join(',') }
        : {}),
    },
  });
  return items;
}
