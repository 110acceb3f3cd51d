/**
 * The topology a converted upstream config describes — node names, roles, upstream IPs, limits,
 * emulated links — computed without creating anything. Used by tests (snapshots) and available to
 * `continuum plan` for .cfg files, where upstream's IP plan is part of what users expect to see.
 */
import {
  resolveLinks,
  resolveNodes,
  deriveMode,
  type LinkOverrides,
  type LinkClass,
  type Mode,
  type Role,
  type Tier,
  type TierSpec,
  type WirelessPreset,
} from '@continuum/plugin-api';
import { upstreamIpPlan, type PlannedBaseImage } from './ip-plan.js';
import type { UpstreamSummary } from './convert.js';

export interface LegacyPlanNode {
  name: string;
  role: Role;
  tier: Tier;
  /** Upstream VM name (QEMU provider), e.g. `cloud0_alice`. */
  vmName?: string;
  /** Upstream address (QEMU provider); other providers assign their own. */
  ip?: string;
  cores: number;
  memoryGiB: number;
  quota: number;
  readSpeedMBps?: number;
  writeSpeedMBps?: number;
}

export interface LegacyPlanLink {
  from: Tier;
  to: Tier;
  latencyMs: number;
  jitterMs: number;
  rateMbit: number;
  lossPct: number;
}

export interface LegacyPlan {
  mode: Mode;
  provider: string;
  resourceManager: string | undefined;
  application: string | undefined;
  services: string[];
  monitors: string[];
  keep: boolean;
  emulation: boolean;
  preset: WirelessPreset | undefined;
  nodes: LegacyPlanNode[];
  links: LegacyPlanLink[];
  baseImages: PlannedBaseImage[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const num = (v: unknown, d = 0): number => (typeof v === 'number' ? v : d);
const uses = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => String(obj(x)['use'])) : []);

const NATIVE_TO_LINK_FIELD = {
  latency: 'latencyMs',
  jitter: 'jitterMs',
  rate: 'rateMbit',
  loss: 'lossPct',
} as const;

/** Native resource managers that split off a control-plane-only `cloud_controller`. */
const CONTROLLER_RMS = new Set(['kubernetes', 'kubeedge', 'openfaas']);

/**
 * What upstream terms can be recovered from a native config alone (for callers that only have the
 * config, e.g. the core's `plan`): controller from the resource manager, addresses from the qemu options.
 */
export function summaryFromNative(
  config: Obj,
): Pick<UpstreamSummary, 'controller' | 'ip' | 'infraOnly' | 'resourceManager'> {
  const rm =
    config['resourceManager'] === undefined ? undefined : String(obj(config['resourceManager'])['use']);
  const cloudNodes = num(obj(obj(config['infrastructure'])['cloud'])['nodes']);
  const options = obj(obj(config['provider'])['options']);
  const nativeToUpstream: Record<string, UpstreamSummary['resourceManager']> = {
    kubernetes: 'kubernetes',
    kubeedge: 'kubeedge',
    docker: 'mist',
    openfaas: 'kubernetes',
  };
  return {
    controller: rm !== undefined && CONTROLLER_RMS.has(rm) && cloudNodes > 0,
    ip: {
      prefixIP: typeof options['prefixIP'] === 'string' ? options['prefixIP'] : '192.168',
      middleIP: num(options['middleIP'], 100),
      middleIPBase: 90,
    },
    infraOnly: config['resourceManager'] === undefined && config['application'] === undefined,
    resourceManager: rm === undefined ? undefined : (nativeToUpstream[rm] ?? 'none'),
  };
}

export function legacyPlan(
  config: Obj,
  upstreamOrUndefined?: Pick<UpstreamSummary, 'controller' | 'ip' | 'infraOnly' | 'resourceManager'>,
  opts: { user?: string | undefined } = {},
): LegacyPlan {
  const upstream = upstreamOrUndefined ?? summaryFromNative(config);
  const infra = obj(config['infrastructure']);
  const tierSpec = (t: Tier): TierSpec => {
    const s = obj(infra[t]);
    return {
      nodes: num(s['nodes']),
      cores: num(s['cores']),
      memoryMiB: Math.round(num(s['memory']) * 1024),
      cpuQuota: num(s['quota']),
      diskReadMBps: num(s['readSpeed']),
      diskWriteMBps: num(s['writeSpeed']),
    };
  };
  const tiers: Record<Tier, TierSpec> = {
    cloud: tierSpec('cloud'),
    edge: tierSpec('edge'),
    endpoint: tierSpec('endpoint'),
  };
  const mode = deriveMode({
    cloud: tiers.cloud.nodes,
    edge: tiers.edge.nodes,
    endpoint: tiers.endpoint.nodes,
  });
  const specs = resolveNodes(tiers, upstream.controller);

  const provider = obj(config['provider']);
  const addresses = new Map<string, { vmName: string; ip: string }>();
  let baseImages: PlannedBaseImage[] = [];
  if (provider['use'] === 'qemu') {
    const plan = upstreamIpPlan({
      prefixIP: upstream.ip.prefixIP,
      middleIP: upstream.ip.middleIP,
      middleIPBase: upstream.ip.middleIPBase,
      controller: upstream.controller,
      cloudWorkers: specs.filter((n) => n.role === 'cloud').length,
      edges: tiers.edge.nodes,
      endpoints: tiers.endpoint.nodes,
      baseImageRm: upstream.infraOnly
        ? undefined
        : upstream.resourceManager === 'mist'
          ? 'kubeedge'
          : (upstream.resourceManager ?? 'none'),
      user: opts.user,
    });
    for (const a of plan.nodes) addresses.set(a.node, { vmName: a.vmName, ip: a.ip });
    baseImages = plan.baseImages;
  }

  const nodes: LegacyPlanNode[] = specs.map((n) => {
    const out: LegacyPlanNode = {
      name: n.name,
      role: n.role,
      tier: n.tier,
      cores: n.limits.cores,
      memoryGiB: n.limits.memoryMiB / 1024,
      quota: n.limits.cpuQuota,
    };
    const a = addresses.get(n.name);
    if (a) {
      out.vmName = a.vmName;
      out.ip = a.ip;
    }
    if (n.limits.diskReadMBps) out.readSpeedMBps = n.limits.diskReadMBps;
    if (n.limits.diskWriteMBps) out.writeSpeedMBps = n.limits.diskWriteMBps;
    return out;
  });

  const network = obj(infra['network']);
  const emulation = network['emulation'] === true;
  const preset: WirelessPreset = network['preset'] === '5g' ? '5g' : '4g';
  const overrides: LinkOverrides = {};
  for (const [cls, values] of Object.entries(obj(network['links']))) {
    const o: Record<string, number> = {};
    for (const [k, v] of Object.entries(obj(values))) {
      const field = NATIVE_TO_LINK_FIELD[k as keyof typeof NATIVE_TO_LINK_FIELD];
      if (field !== undefined && typeof v === 'number') o[field] = v;
    }
    overrides[cls as LinkClass] = o;
  }
  const present = (['cloud', 'edge', 'endpoint'] as const).filter((t) => tiers[t].nodes > 0);
  const links = emulation ? resolveLinks(preset, overrides, present).map((l) => ({ ...l })) : [];

  return {
    mode,
    provider: String(provider['use']),
    resourceManager:
      config['resourceManager'] === undefined ? undefined : String(obj(config['resourceManager'])['use']),
    application: config['application'] === undefined ? undefined : String(obj(config['application'])['use']),
    services: uses(config['services']),
    monitors: uses(config['monitors']),
    keep: obj(config['run'])['keep'] === true,
    emulation,
    preset: emulation ? preset : undefined,
    nodes,
    links,
    baseImages,
  };
}

/** Human-readable plan, one table for nodes and one for links. */
export function formatLegacyPlan(plan: LegacyPlan): string {
  const lines: string[] = [];
  lines.push(
    `mode ${plan.mode} · provider ${plan.provider} · resource manager ${plan.resourceManager ?? '(none)'} · application ${plan.application ?? '(none)'}` +
      `${plan.services.length ? ` · services ${plan.services.join(', ')}` : ''}${plan.monitors.length ? ` · monitors ${plan.monitors.join(', ')}` : ''}` +
      ` · ${plan.keep ? 'keeps' : 'deletes'} the infrastructure after the run`,
  );
  lines.push('');
  lines.push(
    table(
      ['node', 'role', 'vm', 'ip', 'cores', 'memory (GiB)', 'quota', 'disk r/w (MB/s)'],
      plan.nodes.map((n) => [
        n.name,
        n.role,
        n.vmName ?? '-',
        n.ip ?? '(provider)',
        String(n.cores),
        String(n.memoryGiB),
        String(n.quota),
        n.readSpeedMBps || n.writeSpeedMBps
          ? `${n.readSpeedMBps ?? 0}/${n.writeSpeedMBps ?? 0}`
          : 'unlimited',
      ]),
    ),
  );
  lines.push('');
  if (!plan.emulation) {
    lines.push('network emulation: off');
  } else {
    lines.push(
      `network emulation: preset ${plan.preset ?? '4g'} (egress, per destination tier; endpoint<->endpoint not shaped)`,
    );
    lines.push(
      table(
        ['from', 'to', 'delay (ms)', 'jitter (ms)', 'rate (Mbit/s)', 'loss (%)'],
        plan.links.map((l) => [
          l.from,
          l.to,
          String(l.latencyMs),
          String(l.jitterMs),
          String(l.rateMbit),
          String(l.lossPct),
        ]),
      ),
    );
  }
  if (plan.baseImages.length > 0) {
    lines.push('');
    lines.push(`base images: ${plan.baseImages.map((b) => `${b.vmName} ${b.ip}`).join(', ')}`);
  }
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}
