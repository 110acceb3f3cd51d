import type { Cell, LinkMeasurement, ResultTable } from '@continuum/plugin-api';
import type { ResultsDocument } from '../engine/report.js';
import { allTables } from '../engine/report.js';
import {
  allSeries,
  cdf,
  energyRows,
  latencySeries,
  phaseItems,
  processingTimes,
  workerLoad,
} from './data.js';
import { barChart, esc, ganttChart, lineChart } from './svg.js';

export const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1500px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.grid{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px}
svg{max-width:100%;height:auto;font-size:11px;font-family:inherit}svg .t{font-size:13px;font-weight:600}svg .g{stroke:#eee}svg .a{stroke:#666}svg .m{fill:#999}
table{border-collapse:collapse;background:#fff;font-size:12.5px;margin:4px 0 12px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f0f0f0}td.l,th.l{text-align:left}
.status{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600}.ok{background:#2ca02c}.partial{background:#ff7f0e}.failed,.interrupted{background:#d62728}.running{background:#7f7f7f}
.note{color:#555}.problem{color:#b00}.estimate{background:#fff3cd;border:1px solid #e0c36c;padding:4px 8px;border-radius:4px}
.meta td{text-align:left}.bad{background:#f8d7da}.good{background:#d4edda}
`;

const cellText = (c: Cell): string =>
  c === null
    ? '–'
    : typeof c === 'number'
      ? Number.isInteger(c)
        ? String(c)
        : String(Math.round(c * 100) / 100)
      : c;

export function htmlTable(t: { title?: string; columns: string[]; rows: Cell[][] }): string {
  const head = t.columns.map((c, i) => `<th${i === 0 ? ' class="l"' : ''}>${esc(c)}</th>`).join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${i === 0 || typeof c === 'string' ? ' class="l"' : ''}>${esc(cellText(c))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `${t.title ? `<h3>${esc(t.title)}</h3>` : ''}<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const card = (content: string): string => `<div class="card">${content}</div>`;

/** Configured vs measured RTT between node pairs as a from × to matrix. */
export function linkMatrix(measurements: readonly LinkMeasurement[]): string {
  if (measurements.length === 0)
    return '<p class="note">No link measurements (emulation off or not validated).</p>';
  const names = [...new Set(measurements.flatMap((m) => [m.from, m.to]))];
  const cell = (from: string, to: string): string => {
    const m =
      measurements.find((x) => x.from === from && x.to === to) ??
      measurements.find((x) => x.from === to && x.to === from);
    if (m === undefined) return '<td>·</td>';
    const measured = m.measuredRttMs === null ? '–' : m.measuredRttMs.toFixed(1);
    const rate =
      m.configuredRateMbit != null
        ? `<br><small>${m.measuredRateMbit != null ? m.measuredRateMbit.toFixed(1) : '–'} / ${m.configuredRateMbit} Mbit/s</small>`
        : '';
    return `<td class="${m.ok ? 'good' : 'bad'}" title="${esc(m.note ?? '')}">${measured} / ${m.configuredRttMs} ms${rate}</td>`;
  };
  return `<table><thead><tr><th class="l">from \\ to</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr></thead><tbody>${names.map((f) => `<tr><th class="l">${esc(f)}</th>${names.map((t) => (t === f ? '<td>·</td>' : cell(f, t))).join('')}</tr>`).join('')}</tbody></table><p class="note">Cells: measured / configured RTT (and rate); green within tolerance, red outside.</p>`;
}

function summaryTable(doc: ResultsDocument): string {
  const rows: Cell[][] = [];
  for (const [k, v] of Object.entries(doc.application?.summary ?? {}))
    rows.push([k, v === null ? null : typeof v === 'boolean' ? String(v) : v]);
  for (const [name, m] of Object.entries(doc.monitors ?? {}))
    for (const [k, v] of Object.entries(m.summary ?? {}))
      rows.push([`${name}.${k}`, v === null ? null : typeof v === 'boolean' ? String(v) : v]);
  return rows.length === 0
    ? '<p class="note">No summary.</p>'
    : htmlTable({ columns: ['metric', 'value'], rows });
}

export function renderReportHtml(doc: ResultsDocument, generatedAt = new Date()): string {
  const parts: string[] = [];
  const topo = doc.topology;
  const counts = topo?.nodes
    ? ['cloud', 'edge', 'endpoint']
        .map((t) => `${topo.nodes.filter((n) => n.tier === t).length} ${t}`)
        .join(', ')
    : '';
  const cfg = doc.config as { application?: { use?: string }; provider?: { use?: string } } | undefined;
  parts.push(
    `<h1>Continuum run ${esc(doc.runId)} <span class="status ${esc(doc.status)}">${esc(doc.status)}</span></h1>`,
  );
  parts.push(
    htmlTable({
      columns: ['', ''],
      rows: [
        ['mode', topo?.mode ?? null],
        ['nodes', counts],
        ['provider', cfg?.provider?.use ?? null],
        ['application', cfg?.application?.use ?? null],
        [
          'emulation',
          doc.emulation
            ? `${doc.emulation.backend}${doc.emulation.rateBackend ? `, rate ${doc.emulation.rateBackend}` : ''}`
            : 'n/a',
        ],
        ['report generated', generatedAt.toISOString()],
      ],
    }).replace('<table>', '<table class="meta">'),
  );

  const problems = [
    ...(doc.application?.problems ?? []),
    ...doc.errors.map((e) => `${e.code}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`),
    ...(doc.teardown && !doc.teardown.ok ? doc.teardown.errors.map((e) => `teardown: ${e}`) : []),
  ];
  const notes = [
    ...(doc.application?.notes ?? []),
    ...Object.entries(doc.monitors ?? {}).flatMap(([n, m]) => (m.notes ?? []).map((x) => `${n}: ${x}`)),
    ...(doc.emulation?.warnings ?? []).map((w) => `emulation: ${w}`),
  ];
  if (problems.length > 0)
    parts.push(
      `<h2>Problems</h2><ul>${problems.map((p) => `<li class="problem">${esc(p)}</li>`).join('')}</ul>`,
    );

  parts.push('<h2>Summary</h2>', summaryTable(doc));

  const latency = latencySeries(doc);
  parts.push('<h2>End-to-end latency</h2>');
  parts.push(
    `<div class="grid">${card(lineChart({ title: 'Latency over time per endpoint', xLabel: 'time since first image (s)', yLabel: 'latency (ms)', series: latency, markers: true }))}${card(
      lineChart({
        title: 'Latency CDF per endpoint',
        xLabel: 'latency (ms)',
        yLabel: 'fraction ≤ x',
        series: latency.map((s) => ({ name: s.name, points: cdf(s.points.map(([, v]) => v)) })),
        step: true,
        yMin: 0,
      }),
    )}</div>`,
  );

  const loads = workerLoad(doc);
  parts.push('<h2>Workers</h2>');
  parts.push(
    `<div class="grid">${card(barChart({ title: 'Processing time per image', unit: 'ms', bars: processingTimes(doc) }))}${card(
      barChart({
        title: 'Worker load (upstream formula)',
        unit: '%',
        bars: loads.map((l) => ({
          label: l.worker,
          value: l.loadPct,
          note: `(${l.endpoints} endpoint${l.endpoints === 1 ? '' : 's'})`,
        })),
        reference: { value: 100, label: '100 %' },
      }),
    )}</div><p class="note">load % = (frequency × endpoints) / (1000 / proc_time × cores) × 100, as in upstream's EndpointScaling and LargeDeployments figures.</p>`,
  );

  const energy = energyRows(doc);
  parts.push('<h2>Energy</h2>');
  if (energy.length === 0)
    parts.push(
      '<p class="note">No energy monitor in this run (add <code>monitors: [{use: scaphandre}]</code>).</p>',
    );
  else {
    const estimated = energy.some((e) => e.source.startsWith('estimate'));
    const label = Object.values(doc.monitors ?? {})
      .map((m) => m.summary?.['energy_label'])
      .find((v) => typeof v === 'string');
    if (estimated)
      parts.push(
        `<p class="estimate">Energy is an <b>estimate</b>${typeof label === 'string' ? `: ${esc(label)}` : ''}.</p>`,
      );
    const bench = energy.filter((e) => e.phase === 'benchmark');
    parts.push(
      `<div class="grid">${card(barChart({ title: 'Energy per node, benchmark phase', unit: 'J', bars: bench.map((e) => ({ label: e.node, value: e.energyJ, group: e.node === 'host' ? 'host' : 'node' })) }))}${card(
        barChart({
          title: 'Mean power per node, benchmark phase',
          unit: 'W',
          bars: bench.map((e) => ({
            label: e.node,
            value: e.meanPowerW,
            group: e.node === 'host' ? 'host' : 'node',
          })),
        }),
      )}</div>`,
    );
  }

  const series = allSeries(doc).filter((s) => s.group !== 'latency' && !s.id.startsWith('latency-'));
  const groups = [...new Set(series.map((s) => s.group ?? s.unit))];
  if (groups.length > 0) {
    const t0 = Math.min(...series.flatMap((s) => s.points.map(([t]) => t)));
    parts.push('<h2>Resources over time</h2><div class="grid">');
    for (const g of groups) {
      const members = series.filter((s) => (s.group ?? s.unit) === g);
      const unit = members[0]?.unit ?? '';
      parts.push(
        card(
          lineChart({
            title: `${g} (${unit})`,
            xLabel: 'time (s)',
            yLabel: unit,
            series: members.map((s) => ({
              name: s.id.replace(new RegExp(`^(${g}|vm-${g})-`), ''),
              points: s.points.map(([t, v]) => [(t - t0) / 1000, v] as [number, number]),
            })),
          }),
        ),
      );
    }
    parts.push('</div>');
  }

  parts.push('<h2>Network: measured vs configured</h2>', linkMatrix(doc.emulation?.measurements ?? []));
  parts.push('<h2>Phase timings</h2>', card(ganttChart({ title: 'Phases', items: phaseItems(doc) })));

  const tables: ResultTable[] = allTables(doc);
  if (tables.length > 0) parts.push('<h2>Tables</h2>', ...tables.map((t) => htmlTable(t)));
  if (notes.length > 0)
    parts.push(`<h2>Notes</h2><ul>${notes.map((n) => `<li class="note">${esc(n)}</li>`).join('')}</ul>`);
  const artifacts = [
    ...(doc.application?.artifacts ?? []),
    ...Object.values(doc.monitors ?? {}).flatMap((m) => m.artifacts ?? []),
  ];
  if (artifacts.length > 0)
    parts.push(
      `<h2>Files</h2><ul>${artifacts.map((a) => `<li><a href="${esc(a.path)}">${esc(a.path)}</a> — ${esc(a.description)}</li>`).join('')}</ul>`,
    );
  return page(`Continuum run ${doc.runId}`, parts.join('\n'));
}

export function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>\n${body}\n</main></body></html>\n`;
}
