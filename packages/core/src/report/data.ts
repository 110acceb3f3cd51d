import type { Cell, ResultTable, Series } from '@continuum/plugin-api';
import type { ResultsDocument } from '../engine/report.js';
import { allTables } from '../engine/report.js';

/** Everything a report or a comparison needs, pulled out of results.json. */

export const column = (table: ResultTable | undefined, name: string): number =>
  table?.columns.findIndex((c) => c === name || c.startsWith(`${name} `) || c.startsWith(`${name}(`)) ?? -1;
export const num = (c: Cell | undefined): number | null =>
  typeof c === 'number' && Number.isFinite(c)
    ? c
    : typeof c === 'string' && c.trim() !== '' && Number.isFinite(Number(c))
      ? Number(c)
      : null;

export function findTable(doc: ResultsDocument, id: string): ResultTable | undefined {
  return allTables(doc).find((t) => t.id === id || t.id.endsWith(`-${id}`));
}

export function allSeries(doc: ResultsDocument): Series[] {
  return [
    ...(doc.application?.series ?? []),
    ...Object.values(doc.monitors ?? {}).flatMap((m) => m.series ?? []),
  ];
}

/** End-to-end latency samples per endpoint (series group `latency`), time relative to the first send. */
export function latencySeries(doc: ResultsDocument): { name: string; points: [number, number][] }[] {
  const latency = allSeries(doc).filter((s) => s.group === 'latency' || s.id.startsWith('latency-'));
  const t0 = Math.min(...latency.flatMap((s) => s.points.map(([t]) => t)));
  return latency.map((s) => ({
    name: s.id.replace(/^latency-/, ''),
    points: s.points.map(([t, v]) => [(t - t0) / 1000, v] as [number, number]),
  }));
}

/** Empirical CDF: sorted values against the fraction at or below them. */
export function cdf(values: readonly number[]): [number, number][] {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.map((v, i) => [v, (i + 1) / sorted.length]);
}

export interface WorkerLoad {
  worker: string;
  endpoints: number;
  procMs: number | null;
  cores: number;
  loadPct: number | null;
}

/**
 * Upstream's system load (EndpointScaling / LargeDeployments figures):
 * load % = (frequency × endpoints) / (1000 / proc_time_ms × cores) × 100, per worker.
 * In endpoint-only mode every endpoint is its own worker (endpoints = 1).
 */
export function workerLoad(doc: ResultsDocument): WorkerLoad[] {
  const options: Record<string, unknown> =
    (doc.config as { application?: { options?: Record<string, unknown> } } | undefined)?.application
      ?.options ?? {};
  const frequency = typeof options['frequency'] === 'number' ? options['frequency'] : null;
  if (frequency === null) return [];
  const mode = doc.topology?.mode;
  const workerTier = mode === 'edge' ? 'edge' : mode === 'endpoint' ? 'endpoint' : 'cloud';
  const cores = doc.topology?.tiers?.[workerTier]?.cores ?? 1;
  const load = (procMs: number | null, endpoints: number): number | null =>
    procMs === null || procMs <= 0
      ? null
      : Math.round(((frequency * endpoints) / ((1000 / procMs) * cores)) * 1000) / 10;
  const worker = findTable(doc, 'worker');
  const endpoint = findTable(doc, 'endpoint');
  if (worker !== undefined) {
    const idCol = column(worker, 'worker_id');
    const procCol = column(worker, 'proc_time/data');
    const connected = column(endpoint, 'connected_to');
    return worker.rows.map((r) => {
      const id = r[idCol] ?? null;
      const endpoints = endpoint?.rows.filter((e) => String(e[connected]) === String(id)).length ?? 0;
      const procMs = num(r[procCol]);
      return { worker: `worker ${String(id)}`, endpoints, procMs, cores, loadPct: load(procMs, endpoints) };
    });
  }
  if (endpoint !== undefined && mode === 'endpoint') {
    const idCol = column(endpoint, 'endpoint_id');
    const procCol = column(endpoint, 'proc_time/data');
    return endpoint.rows.map((r) => {
      const procMs = num(r[procCol]);
      return {
        worker: `endpoint ${String(r[idCol])}`,
        endpoints: 1,
        procMs,
        cores,
        loadPct: load(procMs, 1),
      };
    });
  }
  return [];
}

/** Processing time per worker (ms/image) from the worker (or endpoint-only) table. */
export function processingTimes(doc: ResultsDocument): { label: string; value: number | null }[] {
  return workerLoad(doc).map((w) => ({ label: w.worker, value: w.procMs }));
}

export interface EnergyBar {
  node: string;
  phase: string;
  energyJ: number | null;
  meanPowerW: number | null;
  source: string;
}

/** Energy rows (monitor table `energy`: node, phase, …, energy_j, mean_power_w, …, source). */
export function energyRows(doc: ResultsDocument): EnergyBar[] {
  const t = findTable(doc, 'energy');
  if (t === undefined) return [];
  const c = (n: string): number => column(t, n);
  return t.rows.map((r) => ({
    node: String(r[c('node')]),
    phase: String(r[c('phase')]),
    energyJ: num(r[c('energy_j')]),
    meanPowerW: num(r[c('mean_power_w')]),
    source: String(r[c('source')] ?? ''),
  }));
}

export function phaseItems(
  doc: ResultsDocument,
): { label: string; start: number; end: number; failed: boolean }[] {
  return (doc.phases ?? [])
    .filter((p) => p.startedAt !== undefined)
    .map((p) => ({
      label: p.phase,
      start: Date.parse(p.startedAt),
      end: p.endedAt !== undefined ? Date.parse(p.endedAt) : Date.parse(p.startedAt) + (p.durationMs ?? 0),
      failed: p.status === 'failed',
    }));
}

/** A flat set of headline numbers, for `compare` and sweep reports. */
export function headline(doc: ResultsDocument): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = { status: doc.status };
  for (const [k, v] of Object.entries(doc.application?.summary ?? {}))
    if (typeof v === 'number' || typeof v === 'string' || v === null) out[k] = v;
  for (const [name, m] of Object.entries(doc.monitors ?? {}))
    for (const [k, v] of Object.entries(m.summary ?? {}))
      if (typeof v === 'number' || typeof v === 'string' || v === null) out[`${name}.${k}`] = v;
  const loads = workerLoad(doc)
    .map((w) => w.loadPct)
    .filter((v): v is number => v !== null);
  if (loads.length > 0) out['worker_load_max_pct'] = Math.max(...loads);
  const bench = (doc.phases ?? []).find((p) => p.phase === 'benchmark');
  if (bench?.durationMs !== undefined) out['benchmark_s'] = Math.round(bench.durationMs / 100) / 10;
  return out;
}
