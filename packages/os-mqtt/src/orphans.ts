import type { Node } from '@continuum/plugin-api';

// Constant script; the marker arrives as $1, never spliced into the text. Skips the shell itself
// ($$); the `tr` children it starts do not carry the marker in their own command lines.
const FIND_BY_MARKER =
  'for d in /proc/[0-9]*; do p=${d#/proc/}; [ "$p" = "$$" ] || [ "$p" = "$PPID" ] && continue; c=$(tr "\\000" " " < "$d/cmdline" 2>/dev/null) || continue; case "$c" in *"$1"*) echo "$p";; esac; done';

/**
 * PIDs on the node whose command line contains `marker` (a run-tagged path or id unique to one
 * broker). Teardown uses it only for a broker whose PID was never recorded: the CLI crashed
 * between starting it and writing the state. The PIDs are then stopped one by one.
 */
export async function findPidsByMarker(node: Node, marker: string): Promise<number[]> {
  const res = await node
    .exec(['sh', '-c', FIND_BY_MARKER, 'sh', marker], { check: false, timeoutMs: 15_000 })
    .catch(() => undefined);
  if (res === undefined) return [];
  return res.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 1);
}
