/**
 * The resolved topology every provider builds: which nodes exist, in which tier and role, with
 * which limits. The core resolves it from the `infrastructure` section of the config (or from an
 * upstream .cfg) before any plugin runs, so every provider names and sizes nodes the same way.
 */
export type Tier = 'cloud' | 'edge' | 'endpoint';
export const TIERS: readonly Tier[] = ['cloud', 'edge', 'endpoint'];

/** `cloud-controller` runs a resource manager's control plane and no workload (upstream's rule). */
export type Role = 'cloud-controller' | 'cloud' | 'edge' | 'endpoint';

/** Upstream's deployment mode: where the workers are. Derived from node counts unless overridden. */
export type Mode = 'cloud' | 'edge' | 'endpoint';

export interface NodeLimits {
  /** vCPUs / cores given to the node. */
  cores: number;
  /** CPU bandwidth share per core, 0.1..1 (upstream `*_quota`); 0.5 = each core runs half the time. */
  cpuQuota: number;
  memoryMiB: number;
  /** Disk throttles in MB/s (1 MB = 10^6 bytes); 0 = unlimited. */
  diskReadMBps?: number;
  diskWriteMBps?: number;
}

export interface NodeSpec {
  /** Stable, provider-independent name: `cloud_controller`, `cloud0`, `edge1`, `endpoint3`. */
  name: string;
  tier: Tier;
  role: Role;
  /** Index within the role (workers, edges and endpoints count from 0). */
  index: number;
  limits: NodeLimits;
}

export interface TierSpec {
  nodes: number;
  cores: number;
  memoryMiB: number;
  cpuQuota: number;
  diskReadMBps: number;
  diskWriteMBps: number;
}

export interface Topology {
  mode: Mode;
  tiers: Record<Tier, TierSpec>;
  nodes: NodeSpec[];
  network: NetworkSpec;
}

/** One direction of an emulated link class: traffic leaving a `from`-tier node towards a `to`-tier node. */
export interface LinkSpec {
  from: Tier;
  to: Tier;
  /** One-way delay added on egress, ms. RTT between two shaped tiers is about 2x this. */
  latencyMs: number;
  /** Delay variation (normal distribution), ms. */
  jitterMs: number;
  /** Rate limit, Mbit/s. */
  rateMbit: number;
  /** Packet loss, percent (0..100). Not in upstream; 0 keeps upstream's behaviour. */
  lossPct: number;
}

export interface NetworkSpec {
  emulation: boolean;
  preset: WirelessPreset;
  links: LinkSpec[];
  /** Config `infrastructure.network.validate`: measure the RTT matrix after setup (absent = true). */
  validate?: boolean;
  /** Config `infrastructure.network.throughput`: short throughput test per tier pair (absent = true). */
  throughput?: boolean;
}

export type WirelessPreset = '4g' | '5g';

export interface NodeCounts {
  cloud: number;
  edge: number;
  endpoint: number;
}

/** Upstream's rule: edge if there are edge nodes, else cloud if there are cloud nodes, else endpoint. */
export function deriveMode(counts: NodeCounts): Mode {
  if (counts.edge > 0) return 'edge';
  if (counts.cloud > 0) return 'cloud';
  return 'endpoint';
}

/**
 * Names and roles for every node. With a controller, the first cloud node is
 * `cloud_controller` and the rest are workers `cloud0..`; upstream names are the same minus the
 * `_<user>` suffix that only the QEMU provider adds.
 */
export function resolveNodes(tiers: Record<Tier, TierSpec>, withController: boolean): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  const limitsOf = (t: TierSpec): NodeLimits => ({
    cores: t.cores,
    cpuQuota: t.cpuQuota,
    memoryMiB: t.memoryMiB,
    diskReadMBps: t.diskReadMBps,
    diskWriteMBps: t.diskWriteMBps,
  });
  let cloudWorkers = tiers.cloud.nodes;
  if (withController && tiers.cloud.nodes > 0) {
    nodes.push({
      name: 'cloud_controller',
      tier: 'cloud',
      role: 'cloud-controller',
      index: 0,
      limits: limitsOf(tiers.cloud),
    });
    cloudWorkers -= 1;
  }
  for (let i = 0; i < cloudWorkers; i++) {
    nodes.push({ name: `cloud${i}`, tier: 'cloud', role: 'cloud', index: i, limits: limitsOf(tiers.cloud) });
  }
  for (let i = 0; i < tiers.edge.nodes; i++) {
    nodes.push({ name: `edge${i}`, tier: 'edge', role: 'edge', index: i, limits: limitsOf(tiers.edge) });
  }
  for (let i = 0; i < tiers.endpoint.nodes; i++) {
    nodes.push({
      name: `endpoint${i}`,
      tier: 'endpoint',
      role: 'endpoint',
      index: i,
      limits: limitsOf(tiers.endpoint),
    });
  }
  return nodes;
}

/** Worker nodes for a mode: cloud workers in cloud mode, edges in edge mode, none in endpoint mode. */
export function workerNodes<N extends { role: Role }>(nodes: readonly N[], mode: Mode): N[] {
  if (mode === 'cloud') return nodes.filter((n) => n.role === 'cloud');
  if (mode === 'edge') return nodes.filter((n) => n.role === 'edge');
  return [];
}

/**
 * The short random part of a run id (`20261123-182000-k3x9` → `k3x9`). Kernel object names are
 * limited (interfaces: 15 chars), so providers embed this tag in them; `continuum clean` finds
 * a run's leftovers by it.
 */
export function runTag(runId: string): string {
  const tag = runId.split('-').at(-1) ?? runId;
  return (
    tag
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 6) || 'run'
  );
}
