import type { LinkSpec, Tier, WirelessPreset } from './topology.js';

/**
 * Upstream Continuum's link model (infrastructure/network.py): per destination tier an htb rate
 * plus a netem delay with normal jitter; endpoint<->endpoint is never shaped. Values are
 * upstream's built-in defaults.
 */
export interface LinkValues {
  latencyMs: number;
  jitterMs: number;
  rateMbit: number;
  lossPct: number;
}

export type LinkClass = 'cloud' | 'edge' | 'cloud-edge' | 'cloud-endpoint' | 'edge-endpoint';
export const LINK_CLASSES: readonly LinkClass[] = [
  'cloud',
  'edge',
  'cloud-edge',
  'cloud-endpoint',
  'edge-endpoint',
];

const WIRED = {
  cloud: { latencyMs: 0, jitterMs: 0, rateMbit: 1000 },
  edge: { latencyMs: 7.5, jitterMs: 2.5, rateMbit: 1000 },
};

export const UPSTREAM_LINK_DEFAULTS: Record<WirelessPreset, Record<LinkClass, LinkValues>> = {
  '4g': {
    cloud: { ...WIRED.cloud, lossPct: 0 },
    edge: { ...WIRED.edge, lossPct: 0 },
    'cloud-edge': { latencyMs: 7.5, jitterMs: 2.5, rateMbit: 1000, lossPct: 0 },
    'cloud-endpoint': { latencyMs: 45, jitterMs: 5, rateMbit: 7.21, lossPct: 0 },
    'edge-endpoint': { latencyMs: 7.5, jitterMs: 2.5, rateMbit: 7.21, lossPct: 0 },
  },
  '5g': {
    cloud: { ...WIRED.cloud, lossPct: 0 },
    edge: { ...WIRED.edge, lossPct: 0 },
    'cloud-edge': { latencyMs: 7.5, jitterMs: 2.5, rateMbit: 1000, lossPct: 0 },
    'cloud-endpoint': { latencyMs: 45, jitterMs: 5, rateMbit: 29.66, lossPct: 0 },
    'edge-endpoint': { latencyMs: 7.5, jitterMs: 2.5, rateMbit: 29.66, lossPct: 0 },
  },
};

/** The link class between two tiers, or undefined for endpoint<->endpoint (never shaped). */
export function linkClassOf(a: Tier, b: Tier): LinkClass | undefined {
  if (a === b) return a === 'endpoint' ? undefined : a;
  const pair = [a, b].sort().join('-');
  if (pair === 'cloud-edge') return 'cloud-edge';
  if (pair === 'cloud-endpoint') return 'cloud-endpoint';
  if (pair === 'edge-endpoint') return 'edge-endpoint';
  return undefined;
}

/** Per-class overrides; a field left undefined (or upstream's -1) keeps the preset value. */
export type LinkOverrides = Partial<Record<LinkClass, Partial<LinkValues>>>;

/**
 * Expand the per-class values into directed egress rules between the tiers that exist. Both
 * directions get the same values (upstream shapes egress on every VM, so RTT ≈ 2 × latency).
 */
export function resolveLinks(
  preset: WirelessPreset,
  overrides: LinkOverrides,
  present: readonly Tier[],
): LinkSpec[] {
  const links: LinkSpec[] = [];
  for (const from of present) {
    for (const to of present) {
      const cls = linkClassOf(from, to);
      if (cls === undefined) continue;
      const base = UPSTREAM_LINK_DEFAULTS[preset][cls];
      const o = overrides[cls] ?? {};
      const pick = (v: number | undefined, d: number): number => (v === undefined || v < 0 ? d : v);
      links.push({
        from,
        to,
        latencyMs: pick(o.latencyMs, base.latencyMs),
        jitterMs: pick(o.jitterMs, base.jitterMs),
        rateMbit: pick(o.rateMbit, base.rateMbit),
        lossPct: pick(o.lossPct, base.lossPct),
      });
    }
  }
  return links;
}

export function findLink(links: readonly LinkSpec[], from: Tier, to: Tier): LinkSpec | undefined {
  return links.find((l) => l.from === from && l.to === to);
}

/** Expected round-trip time between two tiers: egress delay both ways. */
export function expectedRttMs(links: readonly LinkSpec[], a: Tier, b: Tier): number {
  return (findLink(links, a, b)?.latencyMs ?? 0) + (findLink(links, b, a)?.latencyMs ?? 0);
}
