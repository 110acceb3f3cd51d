import type { Node } from './node.js';
import type { LinkMeasurement } from './results.js';
import type { LinkSpec, Tier } from './topology.js';
import { expectedRttMs, findLink } from './network.js';
import { percentile } from './stats.js';

/**
 * Accuracy bounds from the project's goals: netem within max(0.5 ms, 2 %), the userspace relay
 * within max(1 ms, 5 %). Anything else (TCG guests, no emulation) gets the relay's bound plus the
 * provider's own slack.
 */
export function rttToleranceMs(configuredRttMs: number, backend: string, slackMs = 0): number {
  if (backend === 'netem') return Math.max(0.5, configuredRttMs * 0.02) + slackMs;
  return Math.max(1, configuredRttMs * 0.05) + slackMs;
}

/** Parse iputils ping output into per-packet RTTs (ms). */
export function parsePingRtts(output: string): number[] {
  const rtts: number[] = [];
  for (const match of output.matchAll(/time[=<]([\d.]+)\s*ms/g)) rtts.push(Number(match[1]));
  return rtts;
}

/** One representative node per tier pair (both directions measured as RTT, so unordered pairs). */
export function tierPairs(nodes: readonly Node[]): [Node, Node][] {
  const byTier = new Map<Tier, Node[]>();
  for (const n of nodes) {
    if (n.role === 'cloud-controller') continue;
    byTier.set(n.tier, [...(byTier.get(n.tier) ?? []), n]);
  }
  const tiers = [...byTier.keys()];
  const pairs: [Node, Node][] = [];
  for (let i = 0; i < tiers.length; i++) {
    for (let j = i; j < tiers.length; j++) {
      const a = byTier.get(tiers[i] as Tier) ?? [];
      const b = byTier.get(tiers[j] as Tier) ?? [];
      const from = a[0];
      const to = i === j ? a[1] : b[0];
      if (from !== undefined && to !== undefined) pairs.push([from, to]);
    }
  }
  return pairs;
}

/**
 * Measure RTT between one node of every tier pair with ping, run on the source node, and compare
 * with the configured links. The first packet is dropped (ARP pays the delay once more).
 */
export async function measureRttMatrix(
  nodes: readonly Node[],
  links: readonly LinkSpec[],
  options: { backend: string; count?: number; intervalS?: number; slackMs?: number; signal?: AbortSignal },
): Promise<LinkMeasurement[]> {
  const count = options.count ?? 10;
  const results = await Promise.all(
    tierPairs(nodes).map(async ([from, to]): Promise<LinkMeasurement> => {
      const configured = expectedRttMs(links, from.tier, to.tier);
      const base = {
        from: from.name,
        to: to.name,
        fromTier: from.tier,
        toTier: to.tier,
        configuredRttMs: configured,
        configuredRateMbit: findLink(links, from.tier, to.tier)?.rateMbit ?? null,
      };
      const res = await from.exec(
        [
          'ping',
          '-n',
          '-c',
          String(count + 1),
          '-i',
          String(options.intervalS ?? 0.2),
          '-W',
          '2',
          to.address,
        ],
        {
          check: false,
          timeoutMs: (count + 1) * 3000 + 5000,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      const rtts = parsePingRtts(res.stdout);
      const summary = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(res.stdout);
      if (summary === null && rtts.length === 0) {
        return {
          ...base,
          measuredRttMs: null,
          ok: false,
          note: `ping ${from.name} -> ${to.name} failed: ${res.stderr.trim() || res.stdout.trim()}`,
        };
      }
      const median = rtts.length > 1 ? percentile(rtts.slice(1), 50) : Number(summary?.[2]);
      const measured = median ?? Number(summary?.[2]);
      const tolerance = rttToleranceMs(configured, options.backend, options.slackMs ?? 0);
      const ok = Math.abs(measured - configured) <= tolerance;
      return {
        ...base,
        measuredRttMs: Math.round(measured * 1000) / 1000,
        measuredRttP95Ms: rtts.length > 1 ? percentile(rtts.slice(1), 95) : null,
        ok,
        ...(ok
          ? {}
          : {
              note: `measured ${measured.toFixed(2)} ms vs configured ${configured} ms (tolerance ${tolerance.toFixed(2)} ms)`,
            }),
      };
    }),
  );
  return results;
}
