/**
 * Plots as inline SVG strings: no script, no fonts or files from the network, so report.html
 * is self-contained and renders the same in any browser, also offline.
 */
export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Chart titles longer than the chart is wide are cut (the full text stays in the tooltip/aria label). */
export const fitTitle = (title: string, width: number): string => {
  const max = Math.floor(width / 7.5);
  return title.length > max ? `${title.slice(0, max - 1)}…` : title;
};

export const esc = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

export interface LineSeries {
  name: string;
  points: [number, number][];
}

/** Round tick steps (1, 2, 5 × 10^k) covering [min, max] with about `count` ticks. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max - min < 1e-9) {
    const pad = Math.abs(max) > 0 ? Math.abs(max) * 0.1 : 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  // From the first step at or below min to the first at or above max, so the data fits inside.
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

const fmt = (v: number): string => {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 100 || Number.isInteger(v)) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1);
  return v.toPrecision(2);
};

/** Keep at most `max` points (every n-th, plus the last) so long runs stay light. */
export function thin(points: readonly [number, number][], max = 1500): [number, number][] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % step === 0);
  const last = points.at(-1);
  if (last !== undefined && out.at(-1) !== last) out.push(last);
  return out;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  width?: number;
  height?: number;
  /** Draw points instead of lines (scatter; latency over time). */
  markers?: boolean;
  /** Step line (CDFs). */
  step?: boolean;
  /** Dots on the line's points too (few points: sweeps). */
  dots?: boolean;
  yMin?: number;
}

export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 300;
  const m = { l: 60, r: 20, t: 30, b: 45 };
  const series = o.series
    .map((s) => ({
      ...s,
      points: thin(s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))),
    }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return emptyChart(o.title, W, 'no data');
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs));
  const yTicks = niceTicks(o.yMin ?? Math.min(0, ...ys), Math.max(...ys));
  const x0 = Math.min(xTicks[0] ?? 0, ...xs);
  const x1 = Math.max(xTicks.at(-1) ?? 1, ...xs);
  const y0 = yTicks[0] ?? 0;
  const y1 = Math.max(yTicks.at(-1) ?? 1, ...ys);
  const px = (x: number): number => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const py = (y: number): number => H - m.b - ((y - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" class="t">${esc(fitTitle(o.title, W))}</text>`);
  for (const t of yTicks)
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" class="g"/><text x="${m.l - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  for (const t of xTicks)
    if (t >= x0 && t <= x1)
      parts.push(
        `<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${H - m.b}" y2="${H - m.b + 4}" class="a"/><text x="${px(t).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`,
      );
  parts.push(
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" class="a"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" class="a"/>`,
  );
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] ?? '#000';
    if (o.markers) {
      parts.push(
        `<g fill="${color}">${s.points.map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="1.8"/>`).join('')}</g>`,
      );
    } else {
      let d = '';
      s.points.forEach(([x, y], j) => {
        if (j === 0) d += `M${px(x).toFixed(1)},${py(y).toFixed(1)}`;
        else if (o.step) d += `H${px(x).toFixed(1)}V${py(y).toFixed(1)}`;
        else d += `L${px(x).toFixed(1)},${py(y).toFixed(1)}`;
      });
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
      if (o.dots)
        parts.push(
          `<g fill="${color}">${s.points.map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3"/>`).join('')}</g>`,
        );
    }
  });
  parts.push(
    legend(
      series.map((s) => s.name),
      W - m.r,
      m.t,
    ),
  );
  return svg(W, H, o.title, parts);
}

function legend(names: string[], right: number, top: number): string {
  if (names.length <= 1) return '';
  return names
    .slice(0, 12)
    .map(
      (n, i) =>
        `<g transform="translate(${right - 150} ${top + 4 + i * 14})"><rect width="10" height="10" fill="${PALETTE[i % PALETTE.length] ?? '#000'}"/><text x="14" y="9">${esc(n.length > 22 ? `${n.slice(0, 21)}…` : n)}</text></g>`,
    )
    .join('');
}

export interface Bar {
  label: string;
  value: number | null;
  /** Shown after the value (e.g. the data source). */
  note?: string;
  group?: string;
}

/** Horizontal bars, one per label; a reference line (e.g. 100 % load) when given. */
export function barChart(o: {
  title: string;
  unit: string;
  bars: Bar[];
  reference?: { value: number; label: string };
  width?: number;
}): string {
  const W = o.width ?? 640;
  const rowH = 22;
  const m = { l: 170, r: 110, t: 30, b: 30 };
  const bars = o.bars.filter((b) => b.value !== null && Number.isFinite(b.value));
  if (bars.length === 0) return emptyChart(o.title, W, 'no data');
  const H = m.t + m.b + bars.length * rowH;
  const max = Math.max(...bars.map((b) => b.value as number), o.reference?.value ?? 0, 1e-9);
  const ticks = niceTicks(0, max, 4);
  const top = Math.max(ticks.at(-1) ?? max, max);
  const px = (v: number): number => m.l + (v / top) * (W - m.l - m.r);
  const groups = [...new Set(bars.map((b) => b.group ?? ''))];
  const parts = [
    `<text x="${W / 2}" y="18" text-anchor="middle" class="t">${esc(fitTitle(o.title, W))}</text>`,
  ];
  for (const t of ticks)
    parts.push(
      `<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" class="g"/><text x="${px(t).toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle">${fmt(t)}</text>`,
    );
  bars.forEach((b, i) => {
    const y = m.t + i * rowH;
    const color = PALETTE[groups.indexOf(b.group ?? '') % PALETTE.length] ?? '#1f77b4';
    parts.push(`<text x="${m.l - 6}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(
      `<rect x="${m.l}" y="${y + 4}" width="${Math.max(1, px(b.value as number) - m.l).toFixed(1)}" height="${rowH - 8}" fill="${color}"/>`,
    );
    parts.push(
      `<text x="${(px(b.value as number) + 4).toFixed(1)}" y="${y + 15}">${fmt(b.value as number)} ${esc(o.unit)}${b.note ? ` ${esc(b.note)}` : ''}</text>`,
    );
  });
  if (o.reference !== undefined)
    parts.push(
      `<line x1="${px(o.reference.value)}" x2="${px(o.reference.value)}" y1="${m.t - 4}" y2="${H - m.b}" stroke="#d62728" stroke-dasharray="4 3"/><text x="${px(o.reference.value) + 3}" y="${m.t - 6}" fill="#d62728">${esc(o.reference.label)}</text>`,
    );
  return svg(W, H, o.title, parts);
}

/** Phase timeline: one bar per phase from its start to its end, seconds since the first. */
export function ganttChart(o: {
  title: string;
  items: { label: string; start: number; end: number; failed?: boolean }[];
  width?: number;
}): string {
  const W = o.width ?? 640;
  if (o.items.length === 0) return emptyChart(o.title, W, 'no phases');
  const rowH = 22;
  const m = { l: 110, r: 90, t: 30, b: 30 };
  const H = m.t + m.b + o.items.length * rowH;
  const t0 = Math.min(...o.items.map((i) => i.start));
  const t1 = Math.max(...o.items.map((i) => i.end), t0 + 1);
  const ticks = niceTicks(0, (t1 - t0) / 1000, 5);
  const span = Math.max(ticks.at(-1) ?? 1, (t1 - t0) / 1000);
  const px = (s: number): number => m.l + (s / span) * (W - m.l - m.r);
  const parts = [
    `<text x="${W / 2}" y="18" text-anchor="middle" class="t">${esc(fitTitle(o.title, W))}</text>`,
  ];
  for (const t of ticks)
    parts.push(
      `<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" class="g"/><text x="${px(t).toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle">${fmt(t)} s</text>`,
    );
  o.items.forEach((it, i) => {
    const y = m.t + i * rowH;
    const a = (it.start - t0) / 1000;
    const b = (it.end - t0) / 1000;
    parts.push(`<text x="${m.l - 6}" y="${y + 15}" text-anchor="end">${esc(it.label)}</text>`);
    parts.push(
      `<rect x="${px(a).toFixed(1)}" y="${y + 4}" width="${Math.max(2, px(b) - px(a)).toFixed(1)}" height="${rowH - 8}" fill="${it.failed ? '#d62728' : '#2ca02c'}"/>`,
    );
    parts.push(`<text x="${(px(b) + 4).toFixed(1)}" y="${y + 15}">${(b - a).toFixed(1)} s</text>`);
  });
  return svg(W, H, o.title, parts);
}

function emptyChart(title: string, W: number, message: string): string {
  return svg(W, 60, title, [
    `<text x="${W / 2}" y="18" text-anchor="middle" class="t">${esc(fitTitle(title, W))}</text>`,
    `<text x="${W / 2}" y="42" text-anchor="middle" class="m">${esc(message)}</text>`,
  ]);
}

function svg(W: number, H: number, title: string, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg>`;
}
