import { workerNodes, type Mode, type Role } from '@continuum/plugin-api';
import type { MqttOptions } from './options.js';

/**
 * Nodes that get a broker. `all`: every node but the control-plane-only cloud controller (workers
 * take requests on theirs, endpoints take replies on theirs, as upstream); `workers`: the mode's workers.
 */
export function targetNodes<N extends { name: string; role: Role }>(
  nodes: readonly N[],
  options: Pick<MqttOptions, 'nodes'>,
  mode: Mode,
): N[] {
  if (options.nodes === 'workers') return workerNodes(nodes, mode);
  return nodes.filter((n) => n.role !== 'cloud-controller');
}

/**
 * The port per node: the configured one, except that nodes sharing an address (plain-process
 * nodes all on 127.0.0.1) get the next free ports in node order, so their brokers do not clash.
 */
export function assignPorts(
  nodes: readonly { name: string; address: string }[],
  basePort: number,
): Map<string, number> {
  const used = new Map<string, Set<number>>();
  const ports = new Map<string, number>();
  for (const node of nodes) {
    const taken = used.get(node.address) ?? new Set<number>();
    let port = basePort;
    while (taken.has(port)) port++;
    taken.add(port);
    used.set(node.address, taken);
    ports.set(node.name, port);
  }
  return ports;
}

// Node addresses go into a mosquitto config file and an argv: accept IPs and host names only.
const ADDRESS = /^[A-Za-z0-9.:_-]+$/;
export function isSafeAddress(address: string): boolean {
  return ADDRESS.test(address) && address.length <= 253;
}
