import type { NodeSpec } from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';

/**
 * Names of everything the provider creates. Each carries the run tag so `down`/`clean` find
 * exactly this run's objects. Interface names are limited to 15 characters by the kernel.
 */
export const names = {
  bridge: (tag: string): string => `cbr-${tag}`,
  tap: (tag: string, index: number): string => `ct${tag}-${index}`,
  vxlan: (tag: string, hostIndex: number): string => `cvx${tag}-${hostIndex}`,
  /** Upstream names VMs `<node>_<user>`; the run tag takes the user's place so runs never collide. */
  domain: (nodeName: string, tag: string): string => `${nodeName}_${tag}`,
  /** Upstream: the hostname is the VM name without underscores. */
  hostname: (nodeName: string): string => nodeName.replace(/_/g, ''),
  cgroup: (tag: string, nodeName: string): string => `continuum-${tag}-${nodeName}`,
  nft: (tag: string): string => `continuum_${tag}`,
};

export interface AddressPlan {
  /** Host side of the bridge (the VMs' gateway). */
  gateway: string;
  prefixLength: number;
  /** Network address with prefix, for route/overlap checks and NAT. */
  subnet: string;
  byNode: Map<string, string>;
}

function octets(prefixIP: string): [number, number] {
  const parts = prefixIP.split('.').map(Number);
  const [a, b] = parts;
  if (parts.length !== 2 || a === undefined || b === undefined || !(a > 0 && a < 255 && b > 0 && b < 255)) {
    throw new ContinuumError(
      'QEMU_BAD_PREFIX',
      `prefixIP "${prefixIP}" must be two octets between 1 and 254, like 192.168`,
      {
        hint: 'Set options.prefixIP of the qemu provider, e.g. 192.168',
      },
    );
  }
  return [a, b];
}

/**
 * Upstream's `prefixIP.middleIP.N` scheme: N runs from 2 to 251 in topology order (controller,
 * cloud workers, edge, endpoint) and the third octet increases after .251. .1 is the host bridge.
 * The prefix is /24 when everything fits in one third octet, /16 otherwise (upstream always used /16,
 * which claims far more of the host's address space than needed).
 */
export function planAddresses(
  nodes: readonly Pick<NodeSpec, 'name'>[],
  prefixIP: string,
  middleIP: number,
): AddressPlan {
  const [a, b] = octets(prefixIP);
  const perOctet = 250; // 2..251
  const octetsNeeded = Math.ceil(nodes.length / perOctet);
  if (middleIP + octetsNeeded - 1 > 254) {
    throw new ContinuumError(
      'QEMU_TOO_MANY_NODES',
      `${nodes.length} nodes do not fit in ${prefixIP}.${middleIP}.x and the octets after it`,
      {
        hint: 'Lower options.middleIP or use fewer nodes',
      },
    );
  }
  const byNode = new Map<string, string>();
  nodes.forEach((node, i) => {
    byNode.set(node.name, `${a}.${b}.${middleIP + Math.floor(i / perOctet)}.${2 + (i % perOctet)}`);
  });
  const prefixLength = octetsNeeded <= 1 ? 24 : 16;
  const subnet = prefixLength === 24 ? `${a}.${b}.${middleIP}.0/24` : `${a}.${b}.0.0/16`;
  return { gateway: `${a}.${b}.${middleIP}.1`, prefixLength, subnet, byNode };
}

/** A locally administered MAC derived from the run tag and node index (stable across attach). */
export function macFor(tag: string, index: number): string {
  let h = 0;
  for (const ch of tag) h = (h * 31 + ch.charCodeAt(0)) & 0xffff;
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `52:54:${hex(h >> 8)}:${hex(h & 0xff)}:${hex((index >> 8) & 0xff)}:${hex(index & 0xff)}`;
}

/** True when two IPv4 CIDRs overlap. */
export function cidrOverlaps(a: string, b: string): boolean {
  const parse = (cidr: string): [number, number] => {
    const [ip = '', len = '32'] = cidr.split('/');
    const n = ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
    return [n, Number(len)];
  };
  const [na, la] = parse(a);
  const [nb, lb] = parse(b);
  const len = Math.min(la, lb);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return (na & mask) >>> 0 === (nb & mask) >>> 0;
}
