/** The PromQL queries stored with each run, by series id. `{R}` is the rate window. */
export interface StoredQuery {
  id: string;
  title: string;
  unit: string;
  group: string;
  expr: string;
  /** Label that names the series (one series per value). */
  by: string;
}

export function storedQueries(rateWindowS: number): StoredQuery[] {
  const r = `${Math.max(2, Math.round(rateWindowS))}s`;
  return [
    {
      id: 'cpu',
      title: 'CPU use (% of the node limit)',
      unit: '%',
      group: 'cpu',
      expr: `100 * rate(continuum_node_cpu_seconds_total[${r}]) / on(node) group_left continuum_node_cpu_limit_cores`,
      by: 'node',
    },
    {
      id: 'memory',
      title: 'Memory',
      unit: 'MiB',
      group: 'memory',
      expr: 'continuum_node_memory_bytes / 1048576',
      by: 'node',
    },
    {
      id: 'vm-cpu',
      title: 'CPU use of VM nodes (node exporter, % of all vCPUs)',
      unit: '%',
      group: 'cpu',
      expr: `100 * (1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[${r}])))`,
      by: 'node',
    },
    {
      id: 'vm-memory',
      title: 'Memory of VM nodes (node exporter)',
      unit: 'MiB',
      group: 'memory',
      expr: '(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / 1048576',
      by: 'node',
    },
    {
      id: 'host-cpu',
      title: 'Host CPU use (% of all cores)',
      unit: '%',
      group: 'host',
      expr: `100 * rate(continuum_host_cpu_seconds_total[${r}]) / on() group_left continuum_host_cores`,
      by: 'job',
    },
    {
      id: 'pod-cpu',
      title: 'Pod CPU (cAdvisor, % of one core)',
      unit: '%',
      group: 'pod-cpu',
      expr: `100 * sum by (pod) (rate(container_cpu_usage_seconds_total{container!="",pod!=""}[${r}]))`,
      by: 'pod',
    },
    {
      id: 'pod-memory',
      title: 'Pod memory (cAdvisor working set)',
      unit: 'MiB',
      group: 'pod-memory',
      expr: 'sum by (pod) (container_memory_working_set_bytes{container!="",pod!=""}) / 1048576',
      by: 'pod',
    },
    { id: 'up', title: 'Scrape target up', unit: 'bool', group: 'targets', expr: 'up', by: 'instance' },
  ];
}

export interface QuerySeries {
  labels: Record<string, string>;
  points: [number, number][];
}

interface RangeResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}

/** Prometheus HTTP API query_range; points as [epoch ms, value]. */
export async function queryRange(
  baseUrl: string,
  expr: string,
  startMs: number,
  endMs: number,
  stepS: number,
  signal?: AbortSignal,
): Promise<QuerySeries[]> {
  const params = new URLSearchParams({
    query: expr,
    start: String(startMs / 1000),
    end: String(endMs / 1000),
    step: String(stepS),
  });
  const res = await fetch(`${baseUrl}/api/v1/query_range?${params.toString()}`, {
    signal: signal ?? AbortSignal.timeout(15000),
  });
  const body = (await res.json()) as RangeResponse;
  if (body.status !== 'success' || body.data === undefined)
    throw new Error(`query ${expr} failed: ${body.error ?? `HTTP ${res.status}`}`);
  return body.data.result.map((r) => ({
    labels: r.metric,
    points: r.values
      .map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number])
      .filter(([, v]) => Number.isFinite(v)),
  }));
}
