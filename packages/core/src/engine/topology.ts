import type { LinkOverrides, NetworkSpec, Tier, TierSpec, Topology } from '@continuum/plugin-api';
import { deriveMode, LINK_CLASSES, resolveLinks, resolveNodes, TIERS } from '@continuum/plugin-api';
import type { ContinuumConfig, TierConfig } from './config-schema.js';

function tierSpec(t: TierConfig): TierSpec {
  return {
    nodes: t.nodes,
    cores: t.cores ?? 1,
    memoryMiB: Math.round((t.memory ?? 1) * 1024),
    cpuQuota: t.quota ?? 1,
    diskReadMBps: t.readSpeed,
    diskWriteMBps: t.writeSpeed,
  };
}

/**
 * Resolve the node list and links from the `infrastructure` section, before any plugin runs, so
 * every provider names and sizes nodes the same way. `withController`: the selected resource
 * manager's `usesController` (false without one).
 */
export function resolveTopology(config: ContinuumConfig, withController: boolean): Topology {
  const infra = config.infrastructure;
  const tiers: Record<Tier, TierSpec> = {
    cloud: tierSpec(infra.cloud),
    edge: tierSpec(infra.edge),
    endpoint: tierSpec(infra.endpoint),
  };
  const present = TIERS.filter((t) => tiers[t].nodes > 0);
  const overrides: LinkOverrides = {};
  for (const cls of LINK_CLASSES) {
    const v = infra.network.links[cls];
    if (v === undefined) continue;
    overrides[cls] = {
      ...(v.latency !== undefined ? { latencyMs: v.latency } : {}),
      ...(v.jitter !== undefined ? { jitterMs: v.jitter } : {}),
      ...(v.rate !== undefined ? { rateMbit: v.rate } : {}),
      ...(v.loss !== undefined ? { lossPct: v.loss } : {}),
    };
  }
  const network: NetworkSpec = {
    emulation: infra.network.emulation,
    preset: infra.network.preset,
    links: resolveLinks(infra.network.preset, overrides, present),
    validate: infra.network.validate,
    throughput: infra.network.throughput,
  };
  return {
    mode: deriveMode({ cloud: tiers.cloud.nodes, edge: tiers.edge.nodes, endpoint: tiers.endpoint.nodes }),
    tiers,
    nodes: resolveNodes(tiers, withController),
    network,
  };
}
