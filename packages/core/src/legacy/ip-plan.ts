/**
 * Upstream Continuum's QEMU naming and addressing (infrastructure/qemu/qemu.py `set_ip_names`),
 * as a pure function so the QEMU provider and `plan` agree on it.
 *
 * VMs get `prefixIP.middleIP.N`, N counting from 2 in the order controller, cloud workers, edges,
 * endpoints; after .251 the third octet increases and N restarts at 2. Base images take addresses
 * from `prefixIP.middleIP_base.2..` the same way. Names carry the local user as a suffix
 * (`cloud_controller_<user>`, `cloud0_<user>`, `edge0_<user>`, `endpoint0_<user>`); the guest
 * login user equals the VM name. This is the single-host order; with external machines upstream
 * assigns addresses machine by machine in schedule order.
 */

export const POSTFIX_IP_LOWER = 2;
/** Exclusive: the last address used is .251. */
export const POSTFIX_IP_UPPER = 252;

export interface IpPlanInput {
  prefixIP: string;
  middleIP: number;
  middleIPBase: number;
  controller: boolean;
  cloudWorkers: number;
  edges: number;
  endpoints: number;
  /** Upstream's resource-manager name used in base-image names (`kubernetes`, `kubeedge` for mist …); undefined for infra-only. */
  baseImageRm?: string | undefined;
  /** Appended as `_<user>`; omit for names without suffix. */
  user?: string | undefined;
}

export interface PlannedAddress {
  /** Provider-independent node name (`cloud_controller`, `cloud0`, `edge1`, `endpoint3`). */
  node: string;
  /** Upstream VM name (`cloud0_alice`). */
  vmName: string;
  role: 'cloud-controller' | 'cloud' | 'edge' | 'endpoint';
  ip: string;
}

export interface PlannedBaseImage {
  vmName: string;
  ip: string;
  tier: 'all' | 'cloud' | 'edge' | 'endpoint';
}

export interface IpPlan {
  nodes: PlannedAddress[];
  baseImages: PlannedBaseImage[];
}

function* addresses(prefix: string, middle: number): Generator<string> {
  let mid = middle;
  let post = POSTFIX_IP_LOWER;
  for (;;) {
    yield `${prefix}.${mid}.${post}`;
    post += 1;
    if (post === POSTFIX_IP_UPPER) {
      mid += 1;
      post = POSTFIX_IP_LOWER;
    }
  }
}

export function upstreamIpPlan(input: IpPlanInput): IpPlan {
  const suffix = input.user ? `_${input.user}` : '';
  const ips = addresses(input.prefixIP, input.middleIP);
  const next = (): string => ips.next().value as string;
  const nodes: PlannedAddress[] = [];
  if (input.controller)
    nodes.push({
      node: 'cloud_controller',
      vmName: `cloud_controller${suffix}`,
      role: 'cloud-controller',
      ip: next(),
    });
  for (let i = 0; i < input.cloudWorkers; i++)
    nodes.push({ node: `cloud${i}`, vmName: `cloud${i}${suffix}`, role: 'cloud', ip: next() });
  for (let i = 0; i < input.edges; i++)
    nodes.push({ node: `edge${i}`, vmName: `edge${i}${suffix}`, role: 'edge', ip: next() });
  for (let i = 0; i < input.endpoints; i++)
    nodes.push({ node: `endpoint${i}`, vmName: `endpoint${i}${suffix}`, role: 'endpoint', ip: next() });

  const baseIps = addresses(input.prefixIP, input.middleIPBase);
  const nextBase = (): string => baseIps.next().value as string;
  const baseImages: PlannedBaseImage[] = [];
  if (input.baseImageRm === undefined) {
    baseImages.push({ vmName: `base0${suffix}`, ip: nextBase(), tier: 'all' });
  } else {
    const rm = input.baseImageRm;
    if (input.controller || input.cloudWorkers > 0)
      baseImages.push({ vmName: `base_cloud_${rm}0${suffix}`, ip: nextBase(), tier: 'cloud' });
    if (input.edges > 0)
      baseImages.push({ vmName: `base_edge_${rm}0${suffix}`, ip: nextBase(), tier: 'edge' });
    if (input.endpoints > 0)
      baseImages.push({ vmName: `base_endpoint0${suffix}`, ip: nextBase(), tier: 'endpoint' });
  }
  return { nodes, baseImages };
}
