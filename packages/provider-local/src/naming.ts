/**
 * Names of every kernel object a run creates. All embed the run tag so that teardown and
 * `continuum clean` find exactly one run's objects. Only the netem probe's scratch pair lives in
 * the host namespace; everything else is inside the run's namespaces. Interface names must stay <= 15 characters:
 * "ct" + tag (<= 6) + kind letter + index (<= 5 digits) = at most 14.
 */
export const IFNAME_MAX = 15;

export interface RunNames {
  tag: string;
  bridge: string;
  /** Hub-side end of the veth pair of node #i (veth / netem backends). */
  hostVeth(i: number): string;
  /** Relay TAP on the bridge side for node #i (the node side is eth0 in its namespace). */
  bridgeTap(i: number): string;
  /**
   * The run's hub namespace: holds the bridge and every bridge-side port, so the host's own
   * network is untouched and deleting one namespace removes all ports in one kernel batch.
   */
  hub: string;
  /** Scratch veth pair for the netem probe. */
  scratch: [string, string];
  /**
   * Management link between the host and the run's bridge: [host end, hub end]. It gives the
   * host an on-link route to every node address, so host-side checks (broker readiness, metrics
   * scrapes, `continuum status` users) reach nodes locally instead of following the default route
   * off the machine. It is not shaped: it is the operator's network, not an emulated link.
   */
  management: [string, string];
  namespace(nodeName: string): string;
  /** cgroup directory name (relative to a controller root) for the whole run and for a node. */
  cgroupRun: string;
  cgroupNode(nodeName: string): string;
}

export function runNames(tag: string): RunNames {
  if (!/^[a-z0-9]{1,6}$/.test(tag))
    throw new Error(`invalid run tag "${tag}" (expected 1-6 lower-case letters/digits)`);
  const iface = (kind: string, i: number): string => {
    const name = `ct${tag}${kind}${i}`;
    if (name.length > IFNAME_MAX)
      throw new Error(`interface name ${name} exceeds ${IFNAME_MAX} characters (too many nodes)`);
    return name;
  };
  return {
    tag,
    bridge: `ct${tag}br`,
    hostVeth: (i) => iface('v', i),
    hub: `ct-${tag}-hub`,
    bridgeTap: (i) => iface('b', i),
    scratch: [`ct${tag}s0`, `ct${tag}s1`],
    management: [`ct${tag}h0`, `ct${tag}h1`],
    namespace: (nodeName) => `ct-${tag}-${nodeName}`,
    cgroupRun: `continuum-${tag}`,
    cgroupNode: (nodeName) => `continuum-${tag}/${nodeName}`,
  };
}

/** Does an interface name belong to this run's naming scheme? (Used by the sweep in teardown.) */
export function isRunInterface(tag: string, name: string): boolean {
  return new RegExp(`^ct${tag}(br|[vbsh]\\d+)$`).test(name);
}

export function isRunNamespace(tag: string, name: string): boolean {
  return name.startsWith(`ct-${tag}-`);
}
