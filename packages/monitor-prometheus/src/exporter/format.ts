import type { Sample } from '../cgroup-stats.js';

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>): string =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',')}}`;

/** A sample in the Prometheus text exposition format (version 0.0.4). */
export function formatMetrics(sample: Sample, runId: string): string {
  const out: string[] = [];
  const metric = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    rows: [Record<string, string>, number | null][],
  ): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of rows)
      if (v !== null && Number.isFinite(v)) out.push(`${name}${labels({ run: runId, ...l })} ${v}`);
  };
  metric(
    'continuum_node_cpu_seconds_total',
    'counter',
    'CPU time used by the processes of a node (cgroup accounting).',
    sample.nodes.map((n) => [{ node: n.node, tier: n.tier, method: n.method }, n.cpuSeconds]),
  );
  metric(
    'continuum_node_memory_bytes',
    'gauge',
    'Memory charged to the node cgroup.',
    sample.nodes.map((n) => [{ node: n.node, tier: n.tier }, n.memoryBytes]),
  );
  metric(
    'continuum_node_cpu_limit_cores',
    'gauge',
    'CPU bandwidth the node may use (cores x quota).',
    sample.nodes.map((n) => [{ node: n.node, tier: n.tier }, n.limitCores]),
  );
  metric('continuum_host_cpu_seconds_total', 'counter', 'Busy CPU time of the whole host.', [
    [{}, sample.host.cpuSeconds],
  ]);
  metric('continuum_host_cores', 'gauge', 'CPUs of the host.', [[{}, sample.host.cores]]);
  metric('continuum_host_memory_used_bytes', 'gauge', 'MemTotal - MemAvailable of the host.', [
    [{}, sample.host.memoryUsedBytes],
  ]);
  return `${out.join('\n')}\n`;
}
