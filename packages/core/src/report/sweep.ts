import { ContinuumError } from '@continuum/plugin-api';
import type { ResultsDocument } from '../engine/report.js';
import { headline } from './data.js';
import { compareTable, type RunSummary } from './compare.js';
import { htmlTable, page } from './html.js';
import { barChart, esc, lineChart } from './svg.js';

/**
 * Parameter sweeps (upstream's replicate_paper campaigns: endpoints per worker, link latency ×
 * worker CPU …): a grid of `--set key=v1,v2` values × repetitions, each point a normal run.
 */

export type Scalar = string | number | boolean;

export interface SweepAxis {
  key: string;
  values: Scalar[];
}

/** `a.b.c=1,2,3` → axis; values parse as numbers/booleans when they look like one. */
export function parseSet(flag: string): SweepAxis {
  const eq = flag.indexOf('=');
  if (eq <= 0 || eq === flag.length - 1) {
    throw new ContinuumError('CONFIG_INVALID', `--set ${flag}: expected key=value[,value…]`, {
      hint: 'Example: --set infrastructure.endpoint.nodes=1,2,4 --set application.options.frequency=5',
    });
  }
  const key = flag.slice(0, eq).trim();
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(key))
    throw new ContinuumError('CONFIG_INVALID', `--set ${flag}: "${key}" is not a dotted config path`, {
      hint: 'Use dots between keys and numbers for list items: monitors.0.options.port',
    });
  const values = flag
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .map(parseScalar);
  if (values.length === 0)
    throw new ContinuumError('CONFIG_INVALID', `--set ${flag}: no values`, {
      hint: 'Give at least one value after =.',
    });
  return { key, values };
}

export function parseScalar(text: string): Scalar {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** Every combination of the axes (the first axis varies slowest). */
export function expandGrid(axes: readonly SweepAxis[]): Record<string, Scalar>[] {
  let points: Record<string, Scalar>[] = [{}];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.key]: v })));
  return points;
}

export const pointKey = (values: Record<string, Scalar>): string =>
  Object.entries(values)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ') || 'base';

/** Set a dotted path in a plain config object (numeric segments index arrays), creating objects. */
export function setPath(root: Record<string, unknown>, path: string, value: Scalar): void {
  const keys = path.split('.');
  let cur: unknown = root;
  keys.forEach((k, i) => {
    const last = i === keys.length - 1;
    const container = cur as Record<string, unknown> | unknown[];
    const index = Array.isArray(container) ? Number(k) : k;
    if (Array.isArray(container) && !Number.isInteger(index))
      throw new ContinuumError('CONFIG_INVALID', `--set ${path}: "${k}" must be a list index`, {
        hint: `${keys.slice(0, i).join('.')} is a list.`,
      });
    if (last) {
      (container as Record<string | number, unknown>)[index] = value;
      return;
    }
    const next = (container as Record<string | number, unknown>)[index];
    if (next === undefined || next === null) (container as Record<string | number, unknown>)[index] = {};
    else if (typeof next !== 'object')
      throw new ContinuumError(
        'CONFIG_INVALID',
        `--set ${path}: ${keys.slice(0, i + 1).join('.')} is a ${typeof next}, not a section`,
        { hint: 'Point --set at a value inside the config.' },
      );
    cur = (container as Record<string | number, unknown>)[index];
  });
}

export interface SweepPoint {
  key: string;
  values: Record<string, Scalar>;
  repetition: number;
  status: 'pending' | 'running' | 'done' | 'failed' | 'interrupted';
  runId?: string;
  exitCode?: number;
  startedAt?: string;
  endedAt?: string;
  error?: string;
}

export interface SweepState {
  id: string;
  configPath: string;
  axes: SweepAxis[];
  repetitions: number;
  createdAt: string;
  points: SweepPoint[];
}

export function newSweepState(
  id: string,
  configPath: string,
  axes: SweepAxis[],
  repetitions: number,
): SweepState {
  const points = expandGrid(axes).flatMap((values) =>
    Array.from({ length: repetitions }, (_, r): SweepPoint => ({
      key: pointKey(values),
      values,
      repetition: r + 1,
      status: 'pending',
    })),
  );
  return { id, configPath, axes, repetitions, createdAt: new Date().toISOString(), points };
}

/** Points still to run on resume: not done (failed ones too: they are retried). */
export const remaining = (state: SweepState): SweepPoint[] => state.points.filter((p) => p.status !== 'done');

const mean = (v: number[]): number | null =>
  v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;

/**
 * The combined sweep report: per metric, the mean over repetitions against the first axis (one
 * line per combination of the other axes), then every run side by side.
 */
export function renderSweepHtml(
  state: SweepState,
  runs: readonly (RunSummary & { point: SweepPoint })[],
): string {
  const parts = [
    `<h1>Continuum sweep ${esc(state.id)}</h1>`,
    `<p class="note">${esc(state.configPath)} — ${state.axes.map((a) => `${esc(a.key)} ∈ {${a.values.map((v) => esc(String(v))).join(', ')}}`).join(' × ')} × ${state.repetitions} repetition(s); ${runs.length}/${state.points.length} points have results.</p>`,
  ];
  const statusRows = state.points.map((p) => [
    p.key,
    p.repetition,
    p.status,
    p.runId ?? null,
    p.exitCode ?? null,
  ]);
  parts.push(
    '<h2>Points</h2>',
    htmlTable({ columns: ['point', 'rep', 'status', 'run', 'exit'], rows: statusRows }),
  );
  const first = state.axes[0];
  const metrics = [
    'latency_p50_ms',
    'latency_p95_ms',
    'throughput_images_per_s',
    'worker_load_max_pct',
    'proc_time_p50_ms',
    'scaphandre.benchmark_host_energy_j',
  ];
  const heads = runs.map((r) => ({ r, h: headline(r.doc) }));
  const charts: string[] = [];
  if (first !== undefined) {
    const others = (p: SweepPoint): string =>
      pointKey(Object.fromEntries(Object.entries(p.values).filter(([k]) => k !== first.key)));
    const groups = [...new Set(runs.map((r) => others(r.point)))];
    const numericAxis = first.values.every((v) => typeof v === 'number');
    for (const m of metrics) {
      const values = heads.filter(({ h }) => typeof h[m] === 'number');
      if (values.length === 0) continue;
      if (numericAxis) {
        const series = groups.map((g) => ({
          name: g === 'base' ? m : g,
          points: first.values
            .map(
              (x) =>
                [
                  x as number,
                  mean(
                    values
                      .filter(({ r }) => others(r.point) === g && r.point.values[first.key] === x)
                      .map(({ h }) => h[m] as number),
                  ),
                ] as [number, number | null],
            )
            .filter((p): p is [number, number] => p[1] !== null),
        }));
        charts.push(
          `<div class="card">${lineChart({
            title: `${m}${state.repetitions > 1 ? ` (mean of ${state.repetitions} runs)` : ''}`,
            dots: true,
            xLabel: first.key,
            yLabel: m,
            series,
          })}</div>`,
        );
      } else {
        const bars = runs.map((r) => ({
          label: `${r.point.key} #${r.point.repetition}`,
          value: typeof headline(r.doc)[m] === 'number' ? (headline(r.doc)[m] as number) : null,
        }));
        charts.push(`<div class="card">${barChart({ title: m, unit: '', bars })}</div>`);
      }
    }
  }
  if (charts.length > 0)
    parts.push('<h2>Metrics across the grid</h2>', `<div class="grid">${charts.join('')}</div>`);
  if (runs.length > 0) parts.push('<h2>All runs</h2>', htmlTable(compareTable(runs)));
  return page(`Continuum sweep ${state.id}`, parts.join('\n'));
}

/** One CSV row per run: the point's values, repetition, run id and its headline metrics. */
export function sweepCsv(state: SweepState, runs: readonly (RunSummary & { point: SweepPoint })[]): string {
  const heads = runs.map((r) => headline(r.doc));
  const metrics = [...new Set(heads.flatMap((h) => Object.keys(h)))].sort();
  const axisKeys = state.axes.map((a) => a.key);
  const cell = (v: Scalar | null | undefined): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [[...axisKeys, 'repetition', 'run_id', ...metrics].map(cell).join(',')];
  runs.forEach((r, i) =>
    lines.push(
      [
        ...axisKeys.map((k) => r.point.values[k]),
        r.point.repetition,
        r.point.runId,
        ...metrics.map((m) => heads[i]?.[m]),
      ]
        .map(cell)
        .join(','),
    ),
  );
  return `${lines.join('\n')}\n`;
}

export type { ResultsDocument };
