import {
  percentile,
  round2,
  summarize,
  type Cell,
  type ResultTable,
  type Series,
} from '@continuum/plugin-api';
import type { ComponentRecord } from '../protocol.js';

/**
 * Turns the records of every component into upstream's tables (exact column names, 5–90 %
 * trimmed mean and population stdev, 2 decimals) plus p50/p95/p99 columns, a summary and series.
 */

export const WORKER_COLUMNS = [
  'worker_id',
  'total_time (s)',
  'delay_avg (ms)',
  'delay_stdev (ms)',
  'proc_time/data (ms)',
  'delay_p50 (ms)',
  'delay_p95 (ms)',
  'delay_p99 (ms)',
  'queue_avg (ms)',
  'images',
];

export const ENDPOINT_COLUMNS = [
  'connected_to',
  'total_time (s)',
  'preproc_time/data (ms)',
  'data_size_avg (kb)',
  'latency_avg (ms)',
  'latency_stdev (ms)',
  'p50 (ms)',
  'p95 (ms)',
  'p99 (ms)',
  'sent',
  'received',
  'lost',
];

export const ENDPOINT_ONLY_COLUMNS = [
  'endpoint_id',
  'total_time (s)',
  'proc_time/data (ms)',
  'latency_avg (ms)',
  'latency_stdev (ms)',
  'p50 (ms)',
  'p95 (ms)',
  'p99 (ms)',
  'sent',
  'processed',
  'lost',
];

export interface ComponentOutput {
  name: string;
  kind: 'worker' | 'endpoint' | 'combined' | 'function';
  /** worker_id / endpoint index. */
  index: number;
  /** Worker index the endpoint is attached to (upstream's connected_to). */
  connectedTo?: number;
  records: ComponentRecord[];
}

export interface Tables {
  tables: ResultTable[];
  summary: Record<string, number | string | boolean | null>;
  series: Series[];
  notes: string[];
}

type Of<T extends ComponentRecord['type']> = Extract<ComponentRecord, { type: T }>;
const pick = <T extends ComponentRecord['type']>(records: readonly ComponentRecord[], type: T): Of<T>[] =>
  records.filter((r): r is Of<T> => r.type === type);

/** Upstream drops negative values (clock skew) with a warning. */
function nonNegative(values: number[], what: string, who: string, notes: string[]): number[] {
  const kept = values.filter((v) => v >= 0);
  if (kept.length < values.length)
    notes.push(`${who}: dropped ${values.length - kept.length} negative ${what} value(s) (clock skew?)`);
  return kept;
}

const r2 = (v: number | null): Cell => round2(v);
const span = (times: number[]): number | null =>
  times.length === 0 ? null : (Math.max(...times) - Math.min(...times)) / 1000;
const plainMean = (values: number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

export function buildTables(
  mode: 'cloud' | 'edge' | 'endpoint',
  outputs: readonly ComponentOutput[],
  options: { serverless?: boolean } = {},
): Tables {
  const serverless = options.serverless === true;
  const notes: string[] = [];
  const tables: ResultTable[] = [];
  const series: Series[] = [];
  const summary: Record<string, number | string | boolean | null> = {
    mode: serverless ? 'serverless' : mode,
  };
  const allLatencies: number[] = [];
  let sent = 0;
  let replied = 0;
  let lost = 0;
  let behind = 0;
  let firstSend = Infinity;
  let lastReply = -Infinity;

  const latencySeries = (o: ComponentOutput, points: [number, number][]): void => {
    series.push({
      id: `latency-${o.name}`,
      title: `End-to-end latency, ${o.name}`,
      unit: 'ms',
      group: 'latency',
      points,
    });
  };

  if (serverless) {
    // Upstream prints only the endpoint metrics in serverless mode (and an empty worker header).
    tables.push({ id: 'worker', title: 'CLOUD OUTPUT', columns: WORKER_COLUMNS, rows: [] });
  }
  if (mode !== 'endpoint') {
    const workers = serverless
      ? []
      : outputs.filter((o) => o.kind === 'worker').sort((a, b) => a.index - b.index);
    const allDelays: number[] = [];
    const allProc: number[] = [];
    const allQueue: number[] = [];
    const rows = workers.map((w): Cell[] => {
      const processed = pick(w.records, 'processed');
      const delays = nonNegative(
        processed.flatMap((r) => (r.delayMs === undefined ? [] : [r.delayMs])),
        'delay',
        w.name,
        notes,
      );
      const proc = processed.map((p) => p.procMs);
      const queue = processed.map((p) => p.queueMs);
      allDelays.push(...delays);
      allProc.push(...proc);
      allQueue.push(...queue);
      const d = summarize(delays);
      const p = summarize(proc);
      // Upstream: last "Get item" minus first "Read image and apply ML" (both at dequeue time).
      return [
        w.index,
        r2(span(processed.map((x) => x.dequeuedAt))),
        r2(d.trimmedMean),
        r2(d.trimmedStdev),
        r2(p.trimmedMean),
        r2(d.p50),
        r2(d.p95),
        r2(d.p99),
        r2(plainMean(queue)),
        processed.length,
      ];
    });
    if (!serverless)
      tables.push({
        id: 'worker',
        title: mode === 'cloud' ? 'CLOUD OUTPUT' : 'EDGE OUTPUT',
        columns: WORKER_COLUMNS,
        rows,
      });
    // CPU per image of the worker processes (after model load), when they reported it.
    let workerCpu = 0;
    let cpuKnown = workers.length > 0;
    for (const w of workers) {
      const ready = pick(w.records, 'ready')[0];
      const end = pick(w.records, 'worker-end')[0];
      if (ready?.cpuMs === undefined || end === undefined) cpuKnown = false;
      else workerCpu += end.cpuMs - ready.cpuMs;
    }
    summary['worker_cpu_ms_per_image'] =
      cpuKnown && allProc.length > 0 ? r2(workerCpu / allProc.length) : null;
    // Serverless: the function's processing and queueing time come back in each answer.
    if (serverless) {
      for (const e of outputs.filter((o) => o.kind === 'endpoint'))
        for (const r of pick(e.records, 'reply')) {
          if (r.procMs !== undefined) allProc.push(r.procMs);
          if (r.queueMs !== undefined) allQueue.push(r.queueMs);
        }
      summary['functions'] = outputs.filter((o) => o.kind === 'function').length;
      summary['requests_failed'] = outputs.reduce((n, o) => n + pick(o.records, 'request-failed').length, 0);
    }
    const d = summarize(allDelays);
    const p = summarize(allProc);
    Object.assign(summary, {
      workers: workers.length,
      delay_p50_ms: r2(d.p50),
      proc_time_p50_ms: r2(p.p50),
      proc_time_avg_ms: r2(p.trimmedMean),
      queue_p50_ms: r2(percentile(allQueue, 50)),
      queue_max_ms: r2(allQueue.length ? Math.max(...allQueue) : null),
      images_processed: allProc.length,
    });

    const endpoints = outputs.filter((o) => o.kind === 'endpoint').sort((a, b) => a.index - b.index);
    const endpointRows = endpoints.map((e): Cell[] => {
      const sentRecs = pick(e.records, 'sent');
      const replies = pick(e.records, 'reply');
      const end = pick(e.records, 'end')[0];
      const latencies = nonNegative(
        replies.map((r) => r.latencyMs),
        'latency',
        e.name,
        notes,
      );
      allLatencies.push(...latencies);
      latencySeries(
        e,
        replies.map((r) => [r.sentAt, Math.round(r.latencyMs * 1000) / 1000]),
      );
      const l = summarize(latencies);
      const pre = summarize(sentRecs.map((s) => s.prepMs));
      const myLost = end?.lost ?? sentRecs.length - replies.length;
      sent += sentRecs.length;
      replied += replies.length;
      lost += myLost;
      behind += pick(e.records, 'behind').length;
      for (const s of sentRecs) firstSend = Math.min(firstSend, s.t);
      for (const r of replies) lastReply = Math.max(lastReply, r.t);
      return [
        e.connectedTo ?? null,
        r2(span(e.records.map((r) => r.t))),
        r2(pre.trimmedMean),
        r2(plainMean(sentRecs.map((s) => s.bytes / 1e3))),
        r2(l.trimmedMean),
        r2(l.trimmedStdev),
        r2(l.p50),
        r2(l.p95),
        r2(l.p99),
        sentRecs.length,
        replies.length,
        myLost,
      ];
    });
    tables.push({ id: 'endpoint', title: 'ENDPOINT OUTPUT', columns: ENDPOINT_COLUMNS, rows: endpointRows });
  } else {
    const combined = outputs.filter((o) => o.kind === 'combined').sort((a, b) => a.index - b.index);
    const allProc: number[] = [];
    const rows = combined.map((c): Cell[] => {
      const sentRecs = pick(c.records, 'sent');
      const processed = pick(c.records, 'processed');
      const latencies = nonNegative(
        processed.map((p) => p.latencyMs ?? p.t - p.sentAt),
        'latency',
        c.name,
        notes,
      );
      allLatencies.push(...latencies);
      allProc.push(...processed.map((p) => p.procMs));
      latencySeries(
        c,
        processed.map((p) => [p.sentAt, Math.round((p.latencyMs ?? 0) * 1000) / 1000]),
      );
      const l = summarize(latencies);
      const p = summarize(processed.map((x) => x.procMs));
      const myLost = sentRecs.length - processed.length;
      sent += sentRecs.length;
      replied += processed.length;
      lost += myLost;
      behind += pick(c.records, 'behind').length;
      for (const s of sentRecs) firstSend = Math.min(firstSend, s.t);
      for (const r of processed) lastReply = Math.max(lastReply, r.t);
      return [
        c.index,
        r2(span(c.records.map((r) => r.t))),
        r2(p.trimmedMean),
        r2(l.trimmedMean),
        r2(l.trimmedStdev),
        r2(l.p50),
        r2(l.p95),
        r2(l.p99),
        sentRecs.length,
        processed.length,
        myLost,
      ];
    });
    tables.push({ id: 'endpoint', title: 'ENDPOINT OUTPUT', columns: ENDPOINT_ONLY_COLUMNS, rows });
    Object.assign(summary, {
      proc_time_p50_ms: r2(percentile(allProc, 50)),
      images_processed: allProc.length,
    });
  }

  const l = summarize(allLatencies);
  const elapsed = lastReply > firstSend ? (lastReply - firstSend) / 1000 : null;
  Object.assign(summary, {
    endpoints: outputs.filter((o) => o.kind === 'endpoint' || o.kind === 'combined').length,
    images_sent: sent,
    images_replied: replied,
    images_lost: lost,
    cant_keep_up: behind,
    throughput_images_per_s: elapsed === null ? null : r2(replied / elapsed),
    latency_avg_ms: r2(l.trimmedMean),
    latency_p50_ms: r2(l.p50),
    latency_p95_ms: r2(l.p95),
    latency_p99_ms: r2(l.p99),
  });
  if (behind > 0)
    notes.push(
      `Endpoints could not keep up with the frequency ${behind} time(s) (upstream prints "Can't keep up").`,
    );
  return { tables, summary, series, notes };
}
