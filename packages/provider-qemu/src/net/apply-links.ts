import type { LinkSpec, Node } from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';
import { guestTcBatch } from './guest-tc.js';

interface IpAddrJson {
  ifname: string;
  addr_info: { family: string; local: string }[];
}

/** The guest interface that carries the node's address (ens3 on `pc`, ens2 upstream: never hard-coded). */
export async function guestInterfaceOf(node: Node): Promise<string> {
  const res = await node.exec(['ip', '-j', '-4', 'addr', 'show']);
  const ifaces = JSON.parse(res.stdout) as IpAddrJson[];
  const found = ifaces.find((i) => i.addr_info.some((a) => a.local === node.address));
  if (found === undefined) {
    throw new ContinuumError(
      'QEMU_NO_GUEST_INTERFACE',
      `No interface on ${node.name} carries ${node.address}`,
      {
        hint: 'The guest network configuration did not apply; check the VM console log',
      },
    );
  }
  return found.ifname;
}

/** Applies upstream's per-destination htb + netem model inside every guest, in parallel (`tc -batch -`). */
export async function applyGuestLinks(
  nodes: readonly Node[],
  links: readonly LinkSpec[],
  signal?: AbortSignal,
): Promise<Record<string, string[]>> {
  const applied: Record<string, string[]> = {};
  await Promise.all(
    nodes.map(async (node) => {
      const dev = await guestInterfaceOf(node);
      const batch = guestTcBatch(node, nodes, links, dev);
      applied[node.name] = batch;
      if (batch.length === 0) return;
      const res = await node.exec(['tc', '-batch', '-'], {
        input: `${batch.join('\n')}\n`,
        check: false,
        ...(signal ? { signal } : {}),
      });
      if (res.exitCode !== 0) {
        throw new ContinuumError('QEMU_TC_FAILED', `tc on ${node.name} failed: ${res.stderr.trim()}`, {
          hint: 'The guest kernel needs sch_htb and sch_netem (Debian linux-image-amd64 has both)',
          details: { node: node.name, batch },
        });
      }
    }),
  );
  return applied;
}
