import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Artifact, Cell, MonitorResult, Series } from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';
import { isDaemonRunning } from '@continuum/plugin-api';
import type { Ctx } from './install.js';
import { resolveOptions } from './options.js';
import { queryRange, storedQueries } from './queries.js';
import { cpuSecondsInWindow, readSamples, seriesFromSamples } from './samples.js';
import { emptyState } from './state.js';

const mean = (v: number[]): number | null =>
  v.length === 0 ? null : Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 100) / 100;
const max = (v: number[]): number | null => (v.length === 0 ? null : Math.max(...v));

/**
 * Series for the benchmark window: from Prometheus (HTTP query_range) when it ran, else from the
 * sampler's own file. Stored in the run directory (series.json, series.csv) and returned for the
 * report. Missing pieces are notes, not failures, unless `required: true`.
 */
export async function collect(ctx: Ctx, window: { start: number; end: number }): Promise<MonitorResult> {
  const options = resolveOptions(ctx.config);
  const state = ctx.state.get() ?? emptyState();
  const notes = [...(state.notes ?? [])];
  const problems: string[] = [];
  const interval = options.scrapeIntervalS;
  const span = { start: window.start - 2 * interval * 1000, end: window.end + interval * 1000 };
  const samplesFile = join(ctx.workDir, 'samples.jsonl');

  if (state.exporter !== undefined && !isDaemonRunning(state.exporter.ref))
    problems.push(
      `the node sampler is not running any more (crashed or killed; log ${state.exporter.logFile}): CPU/memory series stop where it died`,
    );

  let series: Series[] = [];
  let source: 'prometheus' | 'sampler' = 'sampler';
  const raw: Record<string, { labels: Record<string, string>; points: [number, number][] }[]> = {};
  const promUrl = state.prometheus?.url;
  if (state.prometheusMissing !== undefined) notes.push(`Prometheus: ${state.prometheusMissing}`);
  else if (promUrl !== undefined && !isDaemonRunning(state.prometheus?.ref))
    problems.push(
      `Prometheus exited during the run (log ${state.prometheus?.logFile ?? '?'}); series come from the built-in sampler`,
    );
  else if (promUrl !== undefined) {
    try {
      for (const q of storedQueries(Math.max(2, 4 * interval))) {
        const result = await queryRange(promUrl, q.expr, span.start, span.end, interval, ctx.signal);
        raw[q.id] = result;
        if (q.id === 'up') continue;
        for (const r of result) {
          const key = r.labels[q.by] ?? q.id;
          series.push({
            id: `${q.id}-${key}`,
            title: `${q.title}: ${key}`,
            unit: q.unit,
            group: q.group,
            points: r.points.map(([t, v]) => [t, Math.round(v * 100) / 100]),
          });
        }
      }
      source = 'prometheus';
      const down = (raw['up'] ?? [])
        .filter((r) => r.points.some(([, v]) => v === 0))
        .map((r) => `${r.labels['job'] ?? '?'}/${r.labels['instance'] ?? '?'}`);
      if (down.length > 0) notes.push(`scrape targets down at some point: ${down.join(', ')}`);
    } catch (error) {
      problems.push(
        `querying Prometheus failed (${(error as Error).message}); series come from the built-in sampler`,
      );
      series = [];
    }
  }
  const samples = readSamples(samplesFile);
  if (source === 'sampler') series = seriesFromSamples(samples, span);
  if (series.length === 0) problems.push('no CPU/memory series for the benchmark window');

  const cpuSeconds = cpuSecondsInWindow(samples, window);
  const nodes = new Set(
    series
      .filter((s) => s.group === 'cpu' || s.group === 'memory')
      .map((s) => s.id.replace(/^(vm-)?(cpu|memory)-/, '')),
  );
  const rows: Cell[][] = [...nodes].sort().map((node) => {
    const values = (group: string): number[] =>
      series
        .filter((s) => s.group === group && s.id.replace(/^(vm-)?(cpu|memory)-/, '') === node)
        .flatMap((s) =>
          s.points.filter(([t]) => t >= window.start && t <= window.end + interval * 1000).map(([, v]) => v),
        );
    const cpu = values('cpu');
    const mem = values('memory');
    return [node, mean(cpu), max(cpu), cpuSeconds.get(node) ?? null, mean(mem), max(mem)];
  });

  writeFileSync(
    join(ctx.workDir, 'series.json'),
    `${JSON.stringify({ source, window, queries: source === 'prometheus' ? raw : undefined, series }, null, 1)}\n`,
  );
  writeFileSync(
    join(ctx.workDir, 'series.csv'),
    [
      'series,unit,time_ms,value',
      ...series.flatMap((s) => s.points.map(([t, v]) => `${s.id},${s.unit},${t},${v}`)),
    ].join('\n') + '\n',
  );
  const rel = (p: string): string => relative(ctx.run.dir, p);
  const artifacts: Artifact[] = [
    {
      path: rel(join(ctx.workDir, 'series.json')),
      description: `CPU/memory series of the benchmark window (source: ${source})`,
    },
    { path: rel(join(ctx.workDir, 'series.csv')), description: 'The same series as long-format CSV' },
    { path: rel(samplesFile), description: 'Raw cgroup samples of the node sampler (JSON lines)' },
    {
      path: rel(join(ctx.workDir, 'grafana')),
      description: 'Grafana provisioning (datasource + dashboard JSON)',
    },
  ];
  if (state.prometheus !== undefined)
    artifacts.push({
      path: rel(join(ctx.workDir, 'tsdb')),
      description: 'Prometheus TSDB of the run (open with `prometheus --storage.tsdb.path=…`)',
    });

  if (options.required && problems.length > 0) {
    throw new ContinuumError('MONITOR_DATA_MISSING', `prometheus monitor: ${problems.join('; ')}`, {
      hint: 'Set required: false to keep the run successful with partial metrics.',
    });
  }
  return {
    tables: [
      {
        id: 'prometheus-nodes',
        title: `NODE RESOURCES (source: ${source})`,
        columns: ['node', 'cpu_mean_pct', 'cpu_max_pct', 'cpu_seconds', 'mem_mean_mib', 'mem_max_mib'],
        rows,
      },
    ],
    summary: {
      source,
      prometheus: promUrl !== undefined && state.prometheusMissing === undefined ? 'ok' : 'missing',
      problems: problems.length,
      series: series.length,
    },
    series,
    artifacts,
    notes: [...notes, ...problems.map((p) => `MISSING: ${p}`)],
  };
}
