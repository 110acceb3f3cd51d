import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  BenchmarkResult,
  Cell,
  EmulationReport,
  MonitorResult,
  ResultTable,
  Topology,
} from '@continuum/plugin-api';
import { writeFileAtomic } from './atomic-file.js';

export interface PhaseTiming {
  phase: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  status: 'running' | 'ok' | 'failed';
  error?: string;
}

export interface ResultsDocument {
  runId: string;
  status: 'running' | 'ok' | 'partial' | 'failed' | 'interrupted';
  config: unknown;
  topology: Topology;
  emulation: EmulationReport | undefined;
  phases: PhaseTiming[];
  application: (BenchmarkResult & { name: string }) | undefined;
  monitors: Record<string, MonitorResult>;
  errors: { code: string; message: string; hint?: string }[];
  teardown?: { ok: boolean; errors: string[] };
}

function csvCell(value: Cell): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function tableToCsv(table: ResultTable): string {
  return [table.columns, ...table.rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** results.json plus one CSV per table; called after every phase so partial results survive a failure. */
export function writeResults(runDir: string, doc: ResultsDocument): void {
  writeFileAtomic(join(runDir, 'results.json'), `${JSON.stringify(doc, null, 2)}\n`);
  for (const table of allTables(doc))
    writeFileSync(join(runDir, `${safeId(table.id)}.csv`), tableToCsv(table));
}

export function allTables(doc: ResultsDocument): ResultTable[] {
  const tables = [...(doc.application?.tables ?? [])];
  for (const [name, m] of Object.entries(doc.monitors))
    for (const t of m.tables ?? [])
      tables.push({ ...t, id: t.id.startsWith(name) ? t.id : `${name}-${t.id}` });
  return tables;
}

const safeId = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_');

function cellText(value: Cell): string {
  if (value === null) return 'NaN';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
  return value;
}

/** Like upstream (pandas `to_string(index=False)`): a title line, then right-aligned columns. */
export function formatTable(table: { title: string; columns: string[]; rows: Cell[][] }): string {
  const cells = [table.columns, ...table.rows.map((r) => r.map(cellText))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const lines = cells.map((r) => widths.map((w, i) => (r[i] ?? '').padStart(w)).join(' '));
  return [table.title, ...lines].join('\n');
}

export function emulationTable(report: EmulationReport): {
  title: string;
  columns: string[];
  rows: Cell[][];
} {
  return {
    title: `EMULATION (backend: ${report.backend}${report.rateBackend ? `, rate: ${report.rateBackend}` : ''})`,
    columns: [
      'from',
      'to',
      'configured_rtt_ms',
      'measured_rtt_ms',
      'configured_rate_mbit',
      'measured_rate_mbit',
      'ok',
    ],
    rows: report.measurements.map((m) => [
      `${m.from} (${m.fromTier})`,
      `${m.to} (${m.toTier})`,
      m.configuredRttMs,
      m.measuredRttMs,
      // Unshaped pairs (endpoint<->endpoint) have no rate to compare: '-' rather than pandas' NaN.
      m.configuredRateMbit ?? '-',
      m.measuredRateMbit ?? '-',
      m.ok ? 'yes' : 'NO',
    ]),
  };
}

/** Everything the terminal shows after a run: emulation check, tables, summary, notes, problems. */
export function renderResults(doc: ResultsDocument): string {
  const parts: string[] = [];
  if (doc.emulation !== undefined && doc.emulation.measurements.length > 0)
    parts.push(formatTable(emulationTable(doc.emulation)));
  for (const w of doc.emulation?.warnings ?? []) parts.push(`warning: ${w}`);
  for (const table of allTables(doc)) parts.push(formatTable(table));
  const summary = { ...(doc.application?.summary ?? {}) };
  for (const [name, m] of Object.entries(doc.monitors))
    for (const [k, v] of Object.entries(m.summary ?? {})) summary[`${name}.${k}`] = v;
  if (Object.keys(summary).length > 0) {
    const width = Math.max(...Object.keys(summary).map((k) => k.length));
    parts.push(
      [
        'SUMMARY',
        ...Object.entries(summary).map(([k, v]) => `${k.padEnd(width)}  ${v === null ? '-' : String(v)}`),
      ].join('\n'),
    );
  }
  for (const n of [
    ...(doc.application?.notes ?? []),
    ...Object.values(doc.monitors).flatMap((m) => m.notes ?? []),
  ])
    parts.push(`note: ${n}`);
  for (const p of doc.application?.problems ?? []) parts.push(`problem: ${p}`);
  return parts.join('\n\n');
}
