import { execFileSync } from 'node:child_process';
import type { Diagnostic, Topology } from '@continuum/plugin-api';

export interface Counts {
  cloud: number;
  edge: number;
  endpoint: number;
}

export function countsOf(topology: Topology): Counts {
  return {
    cloud: topology.tiers.cloud.nodes,
    edge: topology.tiers.edge.nodes,
    endpoint: topology.tiers.endpoint.nodes,
  };
}

const err = (path: string, message: string, hint: string): Diagnostic => ({
  severity: 'error',
  path,
  message,
  hint,
});

/** continuum-upstream.md §2.7, kubernetes: clouds >= 1, edges == 0; if clouds > 1: endpoints % (clouds-1) == 0. */
export function kubernetesDiagnostics(c: Counts, name = 'kubernetes'): Diagnostic[] {
  const rule = `the ${name} resource manager needs cloud nodes >= 1 (the first is the controller), edge nodes == 0, and endpoints divisible by the cloud workers (cloud nodes - 1)`;
  const out: Diagnostic[] = [];
  if (c.cloud < 1)
    out.push(
      err(
        'infrastructure.cloud.nodes',
        `No cloud nodes, but ${rule}.`,
        'Add cloud nodes: one controller plus the workers.',
      ),
    );
  if (c.edge !== 0)
    out.push(
      err(
        'infrastructure.edge.nodes',
        `${c.edge} edge node(s) given, but ${rule}.`,
        'Set edge nodes to 0, or use resourceManager kubeedge for edge workers.',
      ),
    );
  if (c.cloud > 1 && c.endpoint % (c.cloud - 1) !== 0) {
    out.push(
      err(
        'infrastructure.endpoint.nodes',
        `${c.endpoint} endpoints cannot be spread evenly over ${c.cloud - 1} cloud worker(s): ${rule}.`,
        `Use a multiple of ${c.cloud - 1} endpoints.`,
      ),
    );
  }
  if (c.cloud === 1) {
    out.push({
      severity: 'warning',
      path: 'infrastructure.cloud.nodes',
      message: `With 1 cloud node there is only the controller: no worker runs workloads (${rule}).`,
      hint: 'Use 2 or more cloud nodes to run workers.',
    });
  }
  return out;
}

/** §2.7 kubeedge: clouds == 1, edges >= 1, endpoints % edges == 0. */
export function kubeedgeDiagnostics(c: Counts): Diagnostic[] {
  const rule =
    'the kubeedge resource manager needs exactly 1 cloud node (the controller running cloudcore), edge nodes >= 1, and endpoints divisible by edges';
  const out: Diagnostic[] = [];
  if (c.cloud !== 1)
    out.push(
      err(
        'infrastructure.cloud.nodes',
        `${c.cloud} cloud node(s) given, but ${rule}.`,
        'Set cloud nodes to 1.',
      ),
    );
  if (c.edge < 1)
    out.push(
      err(
        'infrastructure.edge.nodes',
        `No edge nodes, but ${rule}.`,
        'Add at least one edge node: KubeEdge runs workloads on edge nodes.',
      ),
    );
  if (c.edge >= 1 && c.endpoint % c.edge !== 0)
    out.push(
      err(
        'infrastructure.endpoint.nodes',
        `${c.endpoint} endpoints cannot be spread evenly over ${c.edge} edge nodes: ${rule}.`,
        `Use a multiple of ${c.edge} endpoints.`,
      ),
    );
  return out;
}

/** Ansible must exist on the Continuum host (it drives every install). */
export function ansibleDiagnostics(): Diagnostic[] {
  try {
    execFileSync('ansible-playbook', ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return [];
  } catch {
    return [
      {
        severity: 'error',
        message:
          'ansible-playbook is not installed on this host, but Kubernetes-based resource managers are installed with Ansible.',
        hint: 'Debian/Ubuntu: apt-get install ansible',
      },
    ];
  }
}
