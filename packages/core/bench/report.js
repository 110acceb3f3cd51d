// Report generation time for a 300 s run, after `npx tsc -b packages/core`:
//   node packages/core/bench/report.js [--seconds 300] [--endpoints 16] [--frequency 5]
// Builds results.json the size a 300 s image-classification run produces (latency sample per
// image per endpoint, CPU/memory/power series per node at 1 s), then times writeReport().
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeReport } from '../dist/report/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    endpoints: { type: 'string', default: '16' },
    frequency: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '5' },
  },
});
const seconds = Number(values.seconds);
const endpoints = Number(values.endpoints);
const frequency = Number(values.frequency);
const workers = Math.max(1, Math.round(endpoints / 4));
const t0 = Date.parse('2026-11-23T10:00:00Z');
let seed = 1;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const series = [];
for (let e = 0; e < endpoints; e++)
  series.push({
    id: `latency-endpoint${e}`,
    title: `latency endpoint${e}`,
    unit: 'ms',
    group: 'latency',
    points: Array.from({ length: seconds * frequency }, (_, i) => [
      t0 + i * (1000 / frequency),
      150 + rand() * 50,
    ]),
  });
const nodeNames = [
  ...Array.from({ length: workers }, (_, i) => `cloud${i}`),
  ...Array.from({ length: endpoints }, (_, i) => `endpoint${i}`),
];
const perNode = (group, unit) =>
  nodeNames.map((n) => ({
    id: `${group}-${n}`,
    title: `${group} ${n}`,
    unit,
    group,
    points: Array.from({ length: seconds }, (_, s) => [t0 + s * 1000, rand() * 100]),
  }));
const doc = {
  runId: '20261123-100000-bench',
  status: 'ok',
  config: { application: { use: 'image-classification', options: { frequency } } },
  topology: {
    mode: 'cloud',
    tiers: {
      cloud: { nodes: workers, cores: 4 },
      edge: { nodes: 0, cores: 1 },
      endpoint: { nodes: endpoints, cores: 1 },
    },
    nodes: nodeNames.map((name) => ({ name, tier: name.startsWith('cloud') ? 'cloud' : 'endpoint' })),
  },
  emulation: {
    backend: 'userspace-relay',
    measurements: nodeNames.slice(1).map((n) => ({
      from: n,
      to: 'cloud0',
      fromTier: 'endpoint',
      toTier: 'cloud',
      configuredRttMs: 90,
      measuredRttMs: 91,
      ok: true,
    })),
    warnings: [],
  },
  phases: ['provision', 'install', 'benchmark', 'collect', 'teardown'].map((phase, i) => ({
    phase,
    startedAt: new Date(t0 + i * 60000).toISOString(),
    endedAt: new Date(t0 + (i + 1) * 60000).toISOString(),
    durationMs: 60000,
    status: 'ok',
  })),
  application: {
    name: 'image-classification',
    status: 'ok',
    tables: [
      {
        id: 'worker',
        title: 'CLOUD OUTPUT',
        columns: ['worker_id', 'proc_time/data (ms)'],
        rows: Array.from({ length: workers }, (_, w) => [w, 60]),
      },
      {
        id: 'endpoint',
        title: 'ENDPOINT OUTPUT',
        columns: ['connected_to', 'latency_avg (ms)'],
        rows: Array.from({ length: endpoints }, (_, e) => [e % workers, 170]),
      },
    ],
    summary: { latency_p50_ms: 170 },
    series,
  },
  monitors: {
    prometheus: { series: [...perNode('cpu', '%'), ...perNode('memory', 'MiB')] },
    scaphandre: {
      tables: [
        {
          id: 'energy',
          title: 'ENERGY',
          columns: ['node', 'phase', 'energy_j', 'mean_power_w', 'source'],
          rows: nodeNames.map((n) => [n, 'benchmark', 100, 1, 'estimate (cpu-time model)']),
        },
      ],
      series: perNode('power', 'W'),
    },
  },
  errors: [],
};
const dir = mkdtempSync(join(tmpdir(), 'continuum-report-bench-'));
try {
  const results = join(dir, 'results.json');
  writeFileSync(results, JSON.stringify(doc));
  const times = [];
  let file = '';
  for (let i = 0; i < Number(values.repeat); i++) {
    const start = performance.now();
    file = await writeReport(dir);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const points = series.reduce((a, s) => a + s.points.length, 0);
  console.log(
    `report for a ${seconds} s run: ${endpoints} endpoints x ${frequency} img/s = ${points} latency samples, ${nodeNames.length} nodes; results.json ${(statSync(results).size / 1e6).toFixed(1)} MB`,
  );
  console.log(
    `writeReport: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times.at(-1).toFixed(0)}); report.html ${(statSync(file).size / 1e6).toFixed(2)} MB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
