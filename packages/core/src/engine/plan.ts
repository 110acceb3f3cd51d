import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlanItem, Topology } from '@continuum/plugin-api';
import { isContinuumError } from '@continuum/plugin-api';
import { makeContext, memoryStore } from './context.js';
import { hostInfo } from './host.js';
import type { Output } from './output.js';
import type { Selected } from './selection.js';
import { stepId } from './selection.js';
import { columns } from './columns.js';

export interface PlanSection {
  capability: string;
  plugin: string;
  items: PlanItem[];
  error?: string;
}

/** Ask every selected capability what it would create. Creates nothing (scratch dirs are removed). */
export async function planAll(
  selected: readonly Selected[],
  topology: Topology,
  output: Output,
  runDir?: string,
): Promise<PlanSection[]> {
  const scratch = runDir ?? mkdtempSync(join(tmpdir(), 'continuum-plan-'));
  const scope = {
    topology,
    run: { id: 'plan', dir: scratch, startedAt: new Date().toISOString(), configPath: undefined },
    host: hostInfo(),
    output,
    outputs: { infrastructure: undefined, services: {}, cluster: undefined },
    signal: () => AbortSignal.timeout(120_000),
    nodes: () => [],
    runner: () => undefined,
  };
  const sections: PlanSection[] = [];
  try {
    for (const s of selected) {
      const section: PlanSection = {
        capability: stepId(s),
        plugin: `${s.entry.pluginName}@${s.entry.pluginVersion}`,
        items: [],
      };
      if (s.cap.plan !== undefined) {
        try {
          section.items = await s.cap.plan(makeContext(scope, s, s.options, memoryStore<unknown>()));
        } catch (error) {
          section.error = isContinuumError(error)
            ? error.message
            : `plan() failed: ${(error as Error).message}`;
        }
      }
      sections.push(section);
    }
  } finally {
    if (runDir === undefined) rmSync(scratch, { recursive: true, force: true });
  }
  return sections;
}

export function renderTopology(topology: Topology): string {
  const lines: string[] = [`mode: ${topology.mode}   nodes: ${topology.nodes.length}`];
  const rows = topology.nodes.map((n) => [
    n.name,
    n.role,
    String(n.limits.cores),
    `${n.limits.memoryMiB} MiB`,
    String(n.limits.cpuQuota),
    n.limits.diskReadMBps ? `${n.limits.diskReadMBps}` : '-',
    n.limits.diskWriteMBps ? `${n.limits.diskWriteMBps}` : '-',
  ]);
  lines.push(columns(['NODE', 'ROLE', 'CORES', 'MEMORY', 'QUOTA', 'READ MB/s', 'WRITE MB/s'], rows));
  const net = topology.network;
  lines.push('', `network: emulation ${net.emulation ? 'on' : 'off'}, preset ${net.preset}`);
  if (net.links.length > 0) {
    lines.push(
      columns(
        ['FROM', 'TO', 'DELAY ms', 'JITTER ms', 'RATE Mbit/s', 'LOSS %'],
        net.links.map((l) => [
          l.from,
          l.to,
          String(l.latencyMs),
          String(l.jitterMs),
          String(l.rateMbit),
          String(l.lossPct),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export { columns };
