import { createHostNode } from '@continuum/plugin-api';
import type { Node, NodeInfo } from '@continuum/plugin-api';

/** Provider-specific facts stored in NodeInfo.details. */
export interface LocalNodeDetails {
  namespace?: string;
  /** cgroup directories a limited process joins (one per v1 hierarchy, or one v2 group). */
  cgroups?: string[];
  /** Interface inside the namespace. */
  iface?: string;
}

/**
 * Joins the cgroups given as arguments, then execs the rest. The cgroup is joined BEFORE
 * `ip netns exec`, because that remounts /sys and hides /sys/fs/cgroup; membership is inherited.
 * The script is a constant: paths and the command arrive as positional arguments.
 */
export const JOIN_CGROUPS_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; n=$((n-1)); done; exec "$@"';

export function wrapCommand(
  details: LocalNodeDetails,
  command: readonly string[],
  limited: boolean,
): string[] {
  const inner =
    details.namespace === undefined ? [...command] : ['ip', 'netns', 'exec', details.namespace, ...command];
  const groups = details.cgroups ?? [];
  if (!limited || groups.length === 0) return inner;
  return ['sh', '-c', JOIN_CGROUPS_SCRIPT, 'continuum-join', String(groups.length), ...groups, ...inner];
}

export function attachNode(info: NodeInfo): Node {
  const details = (info.details ?? {}) as LocalNodeDetails;
  return createHostNode(info, { wrap: (command, { limited }) => wrapCommand(details, command, limited) });
}
