import { readFileSync } from 'node:fs';
import { deriveMode, resolveLinks, resolveNodes, TIERS } from '@continuum/plugin-api';
import type { LinkOverrides, Tier, TierSpec, Topology, WirelessPreset } from '@continuum/plugin-api';

/**
 * Just enough of upstream's INI semantics to turn the upstream gcp test configs into a topology
 * and provider options the way the core's importer does (gcp_* keys with quotes stripped). The
 * real importer lives in core; this keeps the provider's tests independent of it.
 */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s !== null) {
      section = s[1] as string;
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const value = line.slice(eq + 1).trim();
    if (value !== '') (out[section] ??= {})[line.slice(0, eq).trim().toLowerCase()] = value;
  }
  return out;
}

const unquote = (v: string | undefined): string | undefined =>
  v === undefined ? undefined : v.replace(/^"(.*)"$/, '$1');

export interface LegacyGcp {
  topology: Topology;
  options: Record<string, unknown>;
}

export function loadLegacyGcp(
  path: string,
  fill: { project: string; zone: string; region: string; credentials?: string },
): LegacyGcp {
  const ini = parseIni(readFileSync(path, 'utf8'));
  const inf = ini['infrastructure'] ?? {};
  const bench = ini['benchmark'] ?? {};
  const num = (k: string, d = 0): number => (inf[k] !== undefined ? Number(inf[k]) : d);
  const tiers = Object.fromEntries(
    TIERS.map((t): [Tier, TierSpec] => [
      t,
      {
        nodes: num(`${t}_nodes`),
        cores: num(`${t}_cores`, 1),
        memoryMiB: num(`${t}_memory`, 1) * 1024,
        cpuQuota: num(`${t}_quota`, 1),
        diskReadMBps: 0,
        diskWriteMBps: 0,
      },
    ]),
  ) as Record<Tier, TierSpec>;
  const rm = bench['resource_manager'];
  const infraOnly = /^(true|yes|1)$/i.test(inf['infra_only'] ?? '');
  const withController =
    !infraOnly && rm !== undefined && ['kubernetes', 'kubeedge', 'kubecontrol', 'kube_kata'].includes(rm);
  const present = TIERS.filter((t) => tiers[t].nodes > 0);
  const overrides: LinkOverrides = {};
  const cls: [string, keyof LinkOverrides][] = [
    ['cloud_edge', 'cloud-edge'],
    ['cloud_endpoint', 'cloud-endpoint'],
    ['edge_endpoint', 'edge-endpoint'],
    ['cloud', 'cloud'],
    ['edge', 'edge'],
  ];
  for (const [prefix, key] of cls) {
    const o: Record<string, number> = {};
    if (inf[`${prefix}_latency_avg`] !== undefined) o['latencyMs'] = Number(inf[`${prefix}_latency_avg`]);
    if (inf[`${prefix}_latency_var`] !== undefined) o['jitterMs'] = Number(inf[`${prefix}_latency_var`]);
    if (inf[`${prefix}_throughput`] !== undefined) o['rateMbit'] = Number(inf[`${prefix}_throughput`]);
    if (Object.keys(o).length > 0) overrides[key] = o;
  }
  const preset = (inf['wireless_network_preset'] ?? '4g') as WirelessPreset;
  const topology: Topology = {
    mode: deriveMode({ cloud: tiers.cloud.nodes, edge: tiers.edge.nodes, endpoint: tiers.endpoint.nodes }),
    tiers,
    nodes: resolveNodes(tiers, withController),
    network: {
      emulation: /^(true|yes|1)$/i.test(inf['network_emulation'] ?? ''),
      preset,
      links: resolveLinks(preset, overrides, present),
    },
  };
  const machineTypes: Record<string, string> = {};
  for (const t of TIERS) {
    const v = unquote(inf[`gcp_${t}`]);
    if (v !== undefined && tiers[t].nodes > 0) machineTypes[t] = v;
  }
  const options: Record<string, unknown> = {
    project: unquote(inf['gcp_project']) ?? fill.project,
    region: unquote(inf['gcp_region']) ?? fill.region,
    zone: unquote(inf['gcp_zone']) ?? fill.zone,
    machineTypes,
    ...(fill.credentials !== undefined ? { credentials: fill.credentials } : {}),
  };
  return { topology, options };
}
