import { conditionTime, toMs, type PodLike } from './pod-status.js';

/**
 * The control-plane deployment benchmark (upstream's kubecontrol idea, continuum-upstream.md §5.3)
 * without patched binaries: per-pod phase times come from what the API records (object timestamps,
 * pod conditions, container state, scheduler events with microsecond eventTime), refined by the
 * moments our watch saw each change, plus the first application log line with the runtime's
 * nanosecond timestamp.
 */
export type DeploymentMethod = 'pod' | 'container' | 'file' | 'call';
export const DEPLOYMENT_METHODS: readonly DeploymentMethod[] = ['pod', 'container', 'file', 'call'];

/** Moments our watch saw a change (epoch ms); more precise than the API's whole-second stamps. */
export interface WatchObservations {
  created?: number;
  scheduled?: number;
  initialized?: number;
  started?: number;
}

export interface SchedulerEvent {
  /** events.k8s.io/v1 `eventTime` (microseconds) or core/v1 `firstTimestamp`. */
  eventTime?: string | Date;
  firstTimestamp?: string | Date;
  reason?: string;
  regarding?: { name?: string; kind?: string };
  involvedObject?: { name?: string; kind?: string };
}

export interface PodTimingInput {
  pod: PodLike;
  /** Container name for multi-container pods (`container` method); default the first. */
  container?: string;
  events?: readonly SchedulerEvent[];
  watch?: WatchObservations;
  /** Time of the app's "Start the application" line (from `logs --timestamps`). */
  appStart?: number;
}

export const TIMING_COLUMNS = [
  'pod',
  'container',
  'created_pod (s)',
  'scheduled_pod (s)',
  'initialized_pod (s)',
  'started_container (s)',
  'started_application (s)',
] as const;

export interface PodTiming {
  pod: string;
  container: string;
  /** Seconds since the deployment was requested; undefined when not reached. */
  created: number | undefined;
  scheduled: number | undefined;
  initialized: number | undefined;
  started: number | undefined;
  application: number | undefined;
}

/** The finer of two measurements of the same moment: whole-second API stamp vs our watch's ms. */
function finer(api: number | undefined, watched: number | undefined): number | undefined {
  if (api === undefined) return watched;
  if (watched === undefined) return api;
  // API stamps are truncated to the second: the watch time is better if it lies inside that second.
  return watched >= api && watched < api + 1000 ? watched : api;
}

export function podTiming(input: PodTimingInput, start: number): PodTiming {
  const { pod } = input;
  const name = pod.metadata?.name ?? '?';
  const containerName = input.container ?? pod.spec?.containers?.[0]?.name ?? '?';
  const status = pod.status?.containerStatuses?.find((c) => c.name === containerName);
  const schedEvent = input.events?.find(
    (e) => e.reason === 'Scheduled' && (e.regarding?.name ?? e.involvedObject?.name) === name,
  );
  const rel = (ms: number | undefined): number | undefined =>
    ms === undefined ? undefined : (ms - start) / 1000;
  return {
    pod: name,
    container: containerName,
    created: rel(finer(toMs(pod.metadata?.creationTimestamp), input.watch?.created)),
    scheduled: rel(
      toMs(schedEvent?.eventTime) ?? finer(conditionTime(pod, 'PodScheduled'), input.watch?.scheduled),
    ),
    initialized: rel(finer(conditionTime(pod, 'Initialized'), input.watch?.initialized)),
    started: rel(
      finer(
        toMs(status?.state?.running?.startedAt ?? status?.state?.terminated?.startedAt),
        input.watch?.started,
      ),
    ),
    application: rel(input.appStart),
  };
}

/** Phases shown in the breakdown plot, in order (upstream's S1..S6, merged where the API has no finer stamp). */
export const PHASES = [
  { key: 'create', label: 'Create pod object (job controller)', from: 'start', to: 'created' },
  { key: 'schedule', label: 'Schedule pod', from: 'created', to: 'scheduled' },
  { key: 'initialize', label: 'Prepare pod (sandbox, volumes)', from: 'scheduled', to: 'initialized' },
  { key: 'container', label: 'Create and start container', from: 'initialized', to: 'started' },
  { key: 'application', label: 'Start application', from: 'started', to: 'application' },
] as const;

export function phaseDurations(t: PodTiming): Record<(typeof PHASES)[number]['key'], number | undefined> {
  const at = (k: string): number | undefined =>
    k === 'start' ? 0 : (t as unknown as Record<string, number | undefined>)[k];
  const out = {} as Record<(typeof PHASES)[number]['key'], number | undefined>;
  for (const p of PHASES) {
    const a = at(p.from);
    const b = at(p.to);
    out[p.key] = a === undefined || b === undefined ? undefined : Math.max(0, b - a);
  }
  return out;
}

/** Upstream prints the table sorted by application start and warns about non-monotonic rows. */
export function sortTimings(rows: readonly PodTiming[]): PodTiming[] {
  return [...rows].sort(
    (a, b) => (a.application ?? Infinity) - (b.application ?? Infinity) || a.pod.localeCompare(b.pod),
  );
}

export function monotonicityWarnings(rows: readonly PodTiming[]): string[] {
  const out: string[] = [];
  const order = ['created', 'scheduled', 'initialized', 'started', 'application'] as const;
  for (const r of rows) {
    let last = -Infinity;
    let lastKey = 'start';
    for (const k of order) {
      const v = r[k];
      if (v === undefined) continue;
      // Whole-second API stamps can precede a finer watch time of an earlier step by < 1 s.
      if (v < last - 1)
        out.push(
          `${r.pod}/${r.container}: ${k} (${v.toFixed(3)} s) is earlier than ${lastKey} (${last.toFixed(3)} s)`,
        );
      if (v > last) {
        last = v;
        lastKey = k;
      }
    }
  }
  return out;
}

const fmt = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(3));

export function timingRows(rows: readonly PodTiming[]): string[][] {
  return sortTimings(rows).map((r) => [
    r.pod,
    r.container,
    fmt(r.created),
    fmt(r.scheduled),
    fmt(r.initialized),
    fmt(r.started),
    fmt(r.application),
  ]);
}

/** Upstream-style fixed-width table. */
export function formatTable(rows: readonly PodTiming[]): string {
  const body = timingRows(rows);
  const header = [...TIMING_COLUMNS];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

export function toCsv(rows: readonly PodTiming[]): string {
  const esc = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return (
    [TIMING_COLUMNS.map(esc).join(','), ...timingRows(rows).map((r) => r.map(esc).join(','))].join('\n') +
    '\n'
  );
}

export interface BreakdownSummary {
  pods: number;
  deployed: number;
  /** Time until the last pod's application started (s). */
  makespan: number | undefined;
  /** Mean duration per phase (s) over pods that reached it. */
  meanPhase: Record<string, number | undefined>;
}

export function summarize(rows: readonly PodTiming[]): BreakdownSummary {
  const apps = rows.map((r) => r.application).filter((v): v is number => v !== undefined);
  const meanPhase: Record<string, number | undefined> = {};
  for (const p of PHASES) {
    const vals = rows.map((r) => phaseDurations(r)[p.key]).filter((v): v is number => v !== undefined);
    meanPhase[p.key] = vals.length === 0 ? undefined : vals.reduce((a, b) => a + b, 0) / vals.length;
  }
  return {
    pods: rows.length,
    deployed: apps.length,
    makespan: apps.length === 0 ? undefined : Math.max(...apps),
    meanPhase,
  };
}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f'];
const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Per-pod horizontal stacked phase bars (upstream's breakdown_intern plot), as a standalone SVG. */
export function breakdownSvg(rows: readonly PodTiming[], title: string): string {
  const sorted = sortTimings(rows);
  const barH = 14;
  const left = 170;
  const width = 820;
  const plotW = width - left - 20;
  const top = 40;
  const legendH = 24;
  const height = top + sorted.length * (barH + 4) + 50 + legendH;
  const maxT = Math.max(
    0.001,
    ...sorted.flatMap((r) =>
      [r.created, r.scheduled, r.initialized, r.started, r.application].filter(
        (v): v is number => v !== undefined,
      ),
    ),
  );
  const x = (t: number): number => left + (t / maxT) * plotW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${xmlEscape(title)}</text>`,
  ];
  sorted.forEach((r, i) => {
    const y = top + i * (barH + 4);
    parts.push(
      `<text x="${left - 6}" y="${y + barH - 3}" text-anchor="end">${xmlEscape(`${r.pod}/${r.container}`.slice(-28))}</text>`,
    );
    let from = 0;
    const points = [r.created, r.scheduled, r.initialized, r.started, r.application];
    points.forEach((to, k) => {
      if (to === undefined) return;
      const w = Math.max(0, x(to) - x(from));
      parts.push(
        `<rect x="${x(from).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[k]}"><title>${xmlEscape(PHASES[k]?.label ?? '')}: ${(to - from).toFixed(3)} s</title></rect>`,
      );
      from = Math.max(from, to);
    });
  });
  const axisY = top + sorted.length * (barH + 4) + 6;
  parts.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#333"/>`);
  for (let k = 0; k <= 5; k++) {
    const t = (maxT * k) / 5;
    parts.push(`<text x="${x(t).toFixed(1)}" y="${axisY + 14}" text-anchor="middle">${t.toFixed(2)}</text>`);
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${axisY + 30}" text-anchor="middle">Time since deployment request (s)</text>`,
  );
  PHASES.forEach((p, k) => {
    const lx = 10 + k * 160;
    const ly = axisY + 40;
    parts.push(
      `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${COLORS[k]}"/><text x="${lx + 14}" y="${ly + 9}">${xmlEscape(p.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
