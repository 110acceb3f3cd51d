import { ContinuumError } from '@continuum/plugin-api';
import type { NodeSpec, Tier } from '@continuum/plugin-api';

/**
 * Address plan inside the run's /16: each tier gets its own block, so per-destination-tier rules
 * (htb filters, relay rules) are one prefix per tier instead of one entry per node:
 *   cloud    x.y.0.0/20   (4093 nodes)
 *   edge     x.y.16.0/20  (4093 nodes)
 *   endpoint x.y.32.0/19  (8189 nodes)
 * Host addresses start at .2 of each block.
 */
export const TIER_BLOCKS: Record<Tier, { offset: number; prefix: number }> = {
  cloud: { offset: 0, prefix: 20 },
  edge: { offset: 16 << 8, prefix: 20 },
  endpoint: { offset: 32 << 8, prefix: 19 },
};

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${ip}`);
  return (
    (((parts[0] as number) << 24) |
      ((parts[1] as number) << 16) |
      ((parts[2] as number) << 8) |
      (parts[3] as number)) >>>
    0
  );
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`not a CIDR: ${cidr}`);
  const prefix = Number(m[2]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ipToInt(m[1] as string) & mask) >>> 0, prefix };
}

export function cidrOverlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const prefix = Math.min(x.prefix, y.prefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (x.base & mask) >>> 0 === (y.base & mask) >>> 0;
}

export function tierCidr(subnet: string, tier: Tier): string {
  const { base } = parseCidr(subnet);
  const block = TIER_BLOCKS[tier];
  return `${intToIp(base + block.offset)}/${block.prefix}`;
}

export interface PlannedNode extends NodeSpec {
  /** Position in the topology's node list; used for interface names. */
  ordinal: number;
  address: string;
}

/** Assign every node an address in its tier's block (controller first among cloud nodes). */
export function planAddresses(subnet: string, nodes: readonly NodeSpec[]): PlannedNode[] {
  const { base, prefix } = parseCidr(subnet);
  if (prefix !== 16)
    throw new ContinuumError('LOCAL_BAD_SUBNET', `subnet ${subnet} must be a /16`, {
      hint: 'Use e.g. 10.123.0.0/16.',
    });
  const counters: Record<Tier, number> = { cloud: 0, edge: 0, endpoint: 0 };
  return nodes.map((node, ordinal) => {
    const block = TIER_BLOCKS[node.tier];
    const i = counters[node.tier]++;
    const capacity = 2 ** (32 - block.prefix) - 3;
    if (i >= capacity) {
      throw new ContinuumError(
        'LOCAL_TOO_MANY_NODES',
        `Too many ${node.tier} nodes for the local provider (at most ${capacity}).`,
        {
          hint: `Lower infrastructure.${node.tier}.nodes.`,
        },
      );
    }
    return { ...node, ordinal, address: intToIp(base + block.offset + i + 2) };
  });
}

/**
 * Pick 10.N.0.0/16 for a run: derived from the run tag so concurrent runs usually differ, skipping
 * any /16 that overlaps an existing host route or address. (Runs never route to each other: each
 * has its own bridge without a host address, so a collision between two runs would still work.)
 */
export function pickSubnet(tag: string, hostPrefixes: readonly string[]): string {
  let hash = 0;
  for (const ch of tag) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  for (let k = 0; k < 150; k++) {
    const n = 100 + ((hash + k) % 150);
    const candidate = `10.${n}.0.0/16`;
    if (!hostPrefixes.some((p) => cidrOverlapsSafe(p, candidate))) return candidate;
  }
  throw new ContinuumError(
    'LOCAL_NO_SUBNET',
    'Could not find a free 10.x.0.0/16 for the run (all overlap host routes).',
    {
      hint: 'Set providers options.subnet to an unused /16.',
    },
  );
}

function cidrOverlapsSafe(a: string, b: string): boolean {
  try {
    // A default route (0.0.0.0/0) is not a conflict: the more specific bridge route wins.
    if (parseCidr(a).prefix === 0) return false;
    return cidrOverlaps(a, b);
  } catch {
    return false;
  }
}

/** Host routes and interface prefixes (IPv4), for collision checks. */
export function hostPrefixesFromIpJson(routesJson: string, addrsJson: string): string[] {
  const out: string[] = [];
  try {
    for (const r of JSON.parse(routesJson) as { dst?: string }[]) {
      if (r.dst === undefined || r.dst === 'default') continue;
      out.push(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
    }
  } catch {
    // no route info: fall through
  }
  try {
    for (const link of JSON.parse(addrsJson) as {
      addr_info?: { family?: string; local?: string; prefixlen?: number }[];
    }[]) {
      for (const a of link.addr_info ?? []) {
        if (a.family === 'inet' && a.local !== undefined) out.push(`${a.local}/${a.prefixlen ?? 32}`);
      }
    }
  } catch {
    // ignore
  }
  return out;
}

/** The host's address on the run bridge: the last usable address of the /16, outside every tier block. */
export function hostManagementAddress(subnet: string): string {
  const { base } = parseCidr(subnet);
  return intToIp(base + 0xfffe);
}
