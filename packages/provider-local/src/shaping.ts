import type { LinkSpec, Tier } from '@continuum/plugin-api';
import { TIERS } from '@continuum/plugin-api';
import { tierCidr } from './address-plan.js';

/** Which kernel (or userspace) mechanism adds delay/jitter/loss. */
export type DelayBackend = 'netem' | 'userspace-relay' | 'none';

/** Class id per destination tier (upstream numbers its groups 1..3 the same way). */
export const TIER_CLASS: Record<Tier, number> = { cloud: 1, edge: 2, endpoint: 3 };

const fmt = (n: number): string => String(Math.round(n * 1000) / 1000);

/**
 * htb quantum: bytes a class may send per round. tc's default (rate / r2q) is out of range for
 * both slow (< 1 MTU) and fast (> 200000) links and makes the kernel warn; clamp it instead.
 */
export function htbQuantum(rateMbit: number): number {
  const bytesPerSecond = (rateMbit * 1e6) / 8;
  return Math.max(1514, Math.min(200000, Math.round(bytesPerSecond / 10)));
}

/** htb burst: the default (rate/HZ) caps fast links below their rate; give them ~2 ms of data. */
export function htbBurst(rateMbit: number): number | undefined {
  if (rateMbit < 100) return undefined;
  return Math.round(((rateMbit * 1e6) / 8) * 0.002);
}

export function egressLinks(links: readonly LinkSpec[], from: Tier): LinkSpec[] {
  return TIERS.flatMap((to) => links.filter((l) => l.from === from && l.to === to));
}

/**
 * `tc -batch` lines shaping one node's egress (upstream's model): an htb root, one class per
 * destination tier with the link rate, a u32 filter per destination tier prefix and, with the
 * netem backend, a netem child qdisc with delay, normal jitter and loss. Unmatched traffic
 * (endpoint<->endpoint) bypasses htb unshaped, as upstream leaves it.
 */
export function tcBatch(options: {
  dev: string;
  subnet: string;
  from: Tier;
  links: readonly LinkSpec[];
  backend: DelayBackend;
}): string[] {
  const { dev } = options;
  const lines: string[] = [];
  const shaped = egressLinks(options.links, options.from);
  if (shaped.length === 0) return lines;
  lines.push(`qdisc add dev ${dev} root handle 1: htb`);
  for (const link of shaped) {
    const k = TIER_CLASS[link.to];
    if (link.rateMbit > 0) {
      const burst = htbBurst(link.rateMbit);
      const burstPart = burst === undefined ? '' : ` burst ${burst} cburst ${burst}`;
      lines.push(
        `class add dev ${dev} parent 1: classid 1:${k} htb rate ${fmt(link.rateMbit)}mbit ceil ${fmt(link.rateMbit)}mbit quantum ${htbQuantum(link.rateMbit)}${burstPart}`,
      );
    } else {
      // No rate limit: a class that cannot throttle, so netem can still hang below it.
      lines.push(`class add dev ${dev} parent 1: classid 1:${k} htb rate 100gbit quantum 200000`);
    }
    if (options.backend === 'netem' && (link.latencyMs > 0 || link.jitterMs > 0 || link.lossPct > 0)) {
      let netem = `qdisc add dev ${dev} parent 1:${k} handle ${k}0: netem delay ${fmt(link.latencyMs)}ms`;
      if (link.jitterMs > 0) netem += ` ${fmt(link.jitterMs)}ms distribution normal`;
      if (link.lossPct > 0) netem += ` loss ${fmt(link.lossPct)}%`;
      lines.push(netem);
    }
    lines.push(
      `filter add dev ${dev} parent 1: protocol ip prio ${k} u32 match ip dst ${tierCidr(options.subnet, link.to)} flowid 1:${k}`,
    );
  }
  return lines;
}

export interface RelayRule {
  cidr: string;
  delayUs: number;
  jitterUs: number;
  lossPpm: number;
}

/** Relay rules for one node's egress: one per destination tier that has delay, jitter or loss. */
export function relayRules(subnet: string, from: Tier, links: readonly LinkSpec[]): RelayRule[] {
  return egressLinks(links, from)
    .filter((l) => l.latencyMs > 0 || l.jitterMs > 0 || l.lossPct > 0)
    .map((l) => ({
      cidr: tierCidr(subnet, l.to),
      delayUs: Math.round(l.latencyMs * 1000),
      jitterUs: Math.round(l.jitterMs * 1000),
      lossPpm: Math.round(l.lossPct * 10000),
    }));
}

export interface RelayPair {
  /** Bind-mount path of the node's namespace, e.g. /run/netns/ct-ab12-edge0. */
  namespacePath: string;
  /** Node address with prefix, e.g. 10.140.16.2/16. */
  address: string;
  bridgeTap: string;
  rules: RelayRule[];
}

/**
 * The relay's config file (see native/continuum-relay.c). TSO offload is on unless the node has a
 * lossy link: loss must hit single packets, not 64 KiB segments.
 */
export function relayConfig(
  hub: { namespacePath: string; bridge: string },
  pairs: readonly RelayPair[],
  seed: number,
): string {
  const lines = [`seed ${seed}`, `hub ${hub.namespacePath} ${hub.bridge}`];
  for (const p of pairs) {
    const offload = p.rules.some((r) => r.lossPpm > 0) ? 0 : 1;
    lines.push(`pair ${p.namespacePath} ${p.address} ${p.bridgeTap} ${offload}`);
    for (const r of p.rules) lines.push(`rule ${r.cidr} ${r.delayUs} ${r.jitterUs} ${r.lossPpm}`);
  }
  return `${lines.join('\n')}\n`;
}
