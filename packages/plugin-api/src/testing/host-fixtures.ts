import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHostNode } from '../host-node.js';
import type { Node, NodeInfo } from '../node.js';
import type { Tier } from '../topology.js';

/** Host-side test fixtures shared by plugins whose tests run nodes as plain host processes. */

export function nodeInfo(name: string, tier: Tier, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    tier,
    role: tier,
    address: '127.0.0.1',
    limits: { cores: 1, cpuQuota: 0.5, memoryMiB: 256, diskReadMBps: 0, diskWriteMBps: 0 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
    ...extra,
  };
}

export const hasBinary = (bin: string): boolean => {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** A real v1 cpu + memory cgroup pair for one test node (root only), removed by the returned function. */
export function makeCgroups(name: string): { dirs: string[]; remove: () => void } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dirs = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/memory'].map((root) => join(root, name));
  try {
    for (const d of dirs) mkdirSync(d);
  } catch {
    return undefined;
  }
  return {
    dirs,
    remove: () => {
      for (const d of dirs) {
        try {
          // Processes must have left: move any survivor back to the root group first.
          writeFileSync(join(d, '..', 'cgroup.procs'), '');
        } catch {
          // nothing to move
        }
        try {
          rmdirSync(d);
        } catch {
          // busy or gone
        }
      }
    },
  };
}

/** A host node whose limited processes join `cgroups` (like provider-local's netns nodes). */
export function cgroupNode(info: NodeInfo, cgroups: string[]): Node {
  return createHostNode(
    { ...info, details: { cgroups } },
    {
      wrap: (command, { limited }) =>
        limited
          ? [
              'sh',
              '-c',
              'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs"; shift; n=$((n-1)); done; exec "$@"',
              'join',
              String(cgroups.length),
              ...cgroups,
              ...command,
            ]
          : [...command],
    },
  );
}
