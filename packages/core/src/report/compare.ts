import type { Cell } from '@continuum/plugin-api';
import type { ResultsDocument } from '../engine/report.js';
import { cdf, headline, latencySeries } from './data.js';
import { htmlTable, page } from './html.js';
import { barChart, esc, lineChart } from './svg.js';

export interface RunSummary {
  /** Short label: run id, or sweep point (`frequency=5 rep=1`). */
  label: string;
  dir: string;
  doc: ResultsDocument;
}

/** Metrics that matter first when runs are compared; the rest follow alphabetically. */
const FIRST = [
  'status',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'latency_avg_ms',
  'throughput_images_per_s',
  'proc_time_p50_ms',
  'worker_load_max_pct',
  'images_sent',
  'images_replied',
  'images_lost',
  'scaphandre.benchmark_host_energy_j',
  'scaphandre.benchmark_nodes_energy_j',
  'benchmark_s',
];

/** metric × run, for the terminal and for the HTML page. */
export function compareTable(runs: readonly RunSummary[]): { columns: string[]; rows: Cell[][] } {
  const heads = runs.map((r) => headline(r.doc));
  const keys = [...new Set(heads.flatMap((h) => Object.keys(h)))];
  keys.sort((a, b) => {
    const ia = FIRST.indexOf(a);
    const ib = FIRST.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? 999 : ia) - (ib === -1 ? 999 : ib);
    return a < b ? -1 : 1;
  });
  return {
    columns: ['metric', ...runs.map((r) => r.label)],
    rows: keys.map((k) => [k, ...heads.map((h) => h[k] ?? null)]),
  };
}

export function renderCompareHtml(runs: readonly RunSummary[], title = 'Continuum: runs compared'): string {
  const table = compareTable(runs);
  const parts = [
    `<h1>${esc(title)}</h1>`,
    `<p class="note">${runs.length} runs: ${runs.map((r) => esc(r.dir)).join(', ')}</p>`,
  ];
  const numeric = table.rows.filter((r) => r.slice(1).some((c) => typeof c === 'number'));
  const charts = [
    'latency_p50_ms',
    'latency_p95_ms',
    'throughput_images_per_s',
    'worker_load_max_pct',
    'scaphandre.benchmark_host_energy_j',
  ].flatMap((metric) => {
    const row = numeric.find((r) => r[0] === metric);
    if (row === undefined) return [];
    return [
      `<div class="card">${barChart({ title: metric, unit: '', bars: runs.map((r, i) => ({ label: r.label, value: typeof row[i + 1] === 'number' ? (row[i + 1] as number) : null })) })}</div>`,
    ];
  });
  if (charts.length > 0) parts.push('<h2>Key metrics</h2>', `<div class="grid">${charts.join('')}</div>`);
  const cdfs = runs
    .map((r) => ({
      name: r.label,
      points: cdf(latencySeries(r.doc).flatMap((s) => s.points.map(([, v]) => v))),
    }))
    .filter((s) => s.points.length > 0);
  if (cdfs.length > 0)
    parts.push(
      '<h2>Latency CDF (all endpoints)</h2>',
      `<div class="card">${lineChart({ title: 'End-to-end latency CDF per run', xLabel: 'latency (ms)', yLabel: 'fraction ≤ x', series: cdfs, step: true, yMin: 0 })}</div>`,
    );
  parts.push('<h2>All metrics</h2>', htmlTable(table));
  return page(title, parts.join('\n'));
}

/** The comparison as aligned text columns for the terminal. */
export function formatCompare(runs: readonly RunSummary[]): string {
  const t = compareTable(runs);
  // Long texts (energy source labels) would widen every column: cut them; the HTML page has them whole.
  const text = (c: Cell): string =>
    c === null
      ? '-'
      : typeof c === 'number'
        ? String(Math.round(c * 100) / 100)
        : c.length > 40
          ? `${c.slice(0, 39)}…`
          : c;
  const cells = [t.columns, ...t.rows.map((r) => r.map(text))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n');
}
