import type { LinkSpec, Tier } from '@continuum/plugin-api';
import { findLink } from '@continuum/plugin-api';
import { htbQuantum, tcRate, tcTime } from '../units.js';

export interface ShapedNode {
  name: string;
  tier: Tier;
  address: string;
}

/** Upstream's class numbering: one htb class per destination tier. */
const CLASS_OF: Record<Tier, number> = { cloud: 1, edge: 2, endpoint: 3 };

/**
 * Upstream's tc model (infrastructure/network.py) for one VM's egress, as `tc -batch` lines:
 * root htb; per destination tier an htb class with the link rate, u32 filters on each destination
 * IP and, when there is a delay/jitter/loss, a netem child. Loss is the one addition to upstream.
 * Endpoint→endpoint traffic is never shaped. Returns [] when nothing is shaped.
 */
export function guestTcBatch(
  self: ShapedNode,
  all: readonly ShapedNode[],
  links: readonly LinkSpec[],
  dev: string,
): string[] {
  const lines: string[] = [];
  const byTier = new Map<Tier, ShapedNode[]>();
  for (const n of all) {
    if (n.name === self.name) continue;
    byTier.set(n.tier, [...(byTier.get(n.tier) ?? []), n]);
  }
  for (const [tier, targets] of [...byTier.entries()].sort((a, b) => CLASS_OF[a[0]] - CLASS_OF[b[0]])) {
    const link = findLink(links, self.tier, tier);
    if (link === undefined) continue;
    const k = CLASS_OF[tier];
    if (lines.length === 0) lines.push(`qdisc replace dev ${dev} root handle 1: htb`);
    lines.push(
      `class add dev ${dev} parent 1: classid 1:${k} htb rate ${tcRate(link.rateMbit)} ceil ${tcRate(link.rateMbit)} quantum ${htbQuantum(link.rateMbit)}`,
    );
    for (const t of targets) {
      lines.push(
        `filter add dev ${dev} parent 1: protocol ip prio ${k} u32 match ip dst ${t.address}/32 flowid 1:${k}`,
      );
    }
    const netem = netemArgs(link);
    if (netem.length > 0)
      lines.push(`qdisc add dev ${dev} parent 1:${k} handle ${k}0: netem ${netem.join(' ')}`);
  }
  return lines;
}

export function netemArgs(link: Pick<LinkSpec, 'latencyMs' | 'jitterMs' | 'lossPct'>): string[] {
  const args: string[] = [];
  if (link.latencyMs > 0 || link.jitterMs > 0) {
    args.push('delay', tcTime(link.latencyMs));
    if (link.jitterMs > 0) args.push(tcTime(link.jitterMs), 'distribution', 'normal');
  }
  if (link.lossPct > 0) args.push('loss', `${link.lossPct}%`);
  return args;
}

/** Removes the root qdisc (used before re-applying, and to undo shaping). */
export function guestTcReset(dev: string): string {
  return `qdisc del dev ${dev} root`;
}
