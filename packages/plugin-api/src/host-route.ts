import { execFile } from 'node:child_process';
import { ContinuumError } from './errors.js';
import type { NodeInfo } from './node.js';

/**
 * Whether the host reaches `address` without a gateway (on-link or local). Nodes that live on
 * this machine (namespaces, plain processes) must only ever be reached that way: if the route
 * goes through a gateway, the packets would leave the machine toward someone else's network.
 */
export function hostRouteIsLocal(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ip', ['-j', 'route', 'get', address], { timeout: 5000 }, (error, stdout) => {
      if (error) return resolve(false);
      try {
        const routes = JSON.parse(stdout) as { gateway?: string; type?: string }[];
        resolve(routes.length > 0 && routes.every((r) => r.gateway === undefined));
      } catch {
        resolve(false);
      }
    });
  });
}

/** Throws unless the host may open connections to this node (see hostRouteIsLocal). */
export async function assertHostCanReach(node: Pick<NodeInfo, 'name' | 'address' | 'access'>): Promise<void> {
  if (node.access.kind === 'ssh') return; // remote machines: reached through their own routes by design
  if (await hostRouteIsLocal(node.address)) return;
  throw new ContinuumError(
    'HOST_ROUTE_NOT_LOCAL',
    `The host has no local route to node ${node.name} (${node.address}); refusing to send traffic through the default gateway.`,
    {
      hint: 'This is a provider bug: a node on this machine must be on-link for the host (a management link to its bridge).',
    },
  );
}
