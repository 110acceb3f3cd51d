import type { LinkSpec, Tier } from '@continuum/plugin-api';
import { guestTcCommands, guestTcResetCommand, tcBatch } from '@continuum/plugin-api';

export interface ShapedNode {
  name: string;
  tier: Tier;
  address: string;
}

/**
 * Upstream's tc model for one VM's egress (plugin-api guestTcCommands: root htb, a class per
 * destination tier, u32 filters per peer, netem delay/jitter/loss), as `tc -batch` lines.
 * Returns [] when nothing is shaped.
 */
export function guestTcBatch(
  self: ShapedNode,
  all: readonly ShapedNode[],
  links: readonly LinkSpec[],
  dev: string,
): string[] {
  const commands = guestTcCommands({
    iface: dev,
    self,
    peers: all.filter((n) => n.name !== self.name),
    links,
  });
  // Only the root qdisc: no destination tier has a link from this node.
  if (commands.length <= 1) return [];
  return tcBatch(commands).trimEnd().split('\n');
}

/** Removes the root qdisc (used before re-applying, and to undo shaping). */
export function guestTcReset(dev: string): string {
  return tcBatch([guestTcResetCommand(dev)]).trimEnd();
}
