import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cell, Series } from '@continuum/plugin-api';
import type { ResultsDocument } from '../../src/engine/report.js';

/**
 * A results.json like a real `continuum run` writes (image-classification app, prometheus and
 * scaphandre monitors, link measurements), with a deterministic pseudo-random latency trace.
 */
export function fixtureResults(
  o: {
    durationS?: number;
    workers?: number;
    endpointsPerWorker?: number;
    frequency?: number;
    seed?: number;
    procMs?: number;
  } = {},
): ResultsDocument {
  const duration = o.durationS ?? 30;
  const workers = o.workers ?? 2;
  const epw = o.endpointsPerWorker ?? 2;
  const frequency = o.frequency ?? 5;
  const proc = o.procMs ?? 60;
  let seed = o.seed ?? 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const t0 = Date.parse('2026-11-23T10:00:00Z');
  const series: Series[] = [];
  const endpointRows: Cell[][] = [];
  const all: number[] = [];
  for (let w = 0; w < workers; w++)
    for (let e = 0; e < epw; e++) {
      const points: [number, number][] = [];
      for (let i = 0; i < duration * frequency; i++) {
        const latency = 90 + proc + rand() * 40 + (rand() < 0.02 ? 200 : 0);
        points.push([t0 + i * (1000 / frequency) + e * 13, Math.round(latency * 1000) / 1000]);
        all.push(latency);
      }
      series.push({
        id: `latency-endpoint${w * epw + e}`,
        title: `End-to-end latency, endpoint${w * epw + e}`,
        unit: 'ms',
        group: 'latency',
        points,
      });
      endpointRows.push([
        w,
        duration,
        4.2,
        38.1,
        160.2,
        12.3,
        158,
        190,
        330,
        duration * frequency,
        duration * frequency,
        0,
      ]);
    }
  const cpuSeries: Series[] = ['cloud0', 'cloud1', 'endpoint0'].map((n, i) => ({
    id: `cpu-${n}`,
    title: `CPU ${n}`,
    unit: '%',
    group: 'cpu',
    points: Array.from(
      { length: duration },
      (_, s) => [t0 + s * 1000, 20 + i * 15 + rand() * 10] as [number, number],
    ),
  }));
  const power: Series[] = ['host', 'cloud0'].map((n) => ({
    id: `power-${n}`,
    title: `Power ${n}`,
    unit: 'W',
    group: 'power',
    points: Array.from({ length: duration }, (_, s) => [t0 + s * 1000, 15 + rand() * 5] as [number, number]),
  }));
  const sorted = [...all].sort((a, b) => a - b);
  const p = (q: number): number => Math.round((sorted[Math.floor((sorted.length - 1) * q)] ?? 0) * 100) / 100;
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    runId: `20261123-100000-fx${o.seed ?? 7}`,
    status: 'ok',
    config: {
      provider: { use: 'local' },
      application: { use: 'image-classification', options: { frequency, duration } },
      monitors: [{ use: 'prometheus' }, { use: 'scaphandre' }],
    },
    topology: {
      mode: 'cloud',
      tiers: {
        cloud: { nodes: workers, cores: 2, memoryMiB: 2048, cpuQuota: 1, diskReadMBps: 0, diskWriteMBps: 0 },
        edge: { nodes: 0, cores: 1, memoryMiB: 1024, cpuQuota: 1, diskReadMBps: 0, diskWriteMBps: 0 },
        endpoint: {
          nodes: workers * epw,
          cores: 1,
          memoryMiB: 1024,
          cpuQuota: 0.5,
          diskReadMBps: 0,
          diskWriteMBps: 0,
        },
      },
      nodes: [
        ...Array.from({ length: workers }, (_, i) => ({
          name: `cloud${i}`,
          tier: 'cloud' as const,
          role: 'cloud' as const,
          index: i,
          limits: { cores: 2, cpuQuota: 1, memoryMiB: 2048, diskReadMBps: 0, diskWriteMBps: 0 },
        })),
        ...Array.from({ length: workers * epw }, (_, i) => ({
          name: `endpoint${i}`,
          tier: 'endpoint' as const,
          role: 'endpoint' as const,
          index: i,
          limits: { cores: 1, cpuQuota: 0.5, memoryMiB: 1024, diskReadMBps: 0, diskWriteMBps: 0 },
        })),
      ],
      network: { emulation: true, preset: '4g', links: [] },
    } as unknown as ResultsDocument['topology'],
    emulation: {
      backend: 'userspace-relay',
      rateBackend: 'htb',
      measurements: [
        {
          from: 'cloud0',
          to: 'cloud1',
          fromTier: 'cloud',
          toTier: 'cloud',
          configuredRttMs: 0,
          measuredRttMs: 0.2,
          configuredRateMbit: 1000,
          measuredRateMbit: 870,
          ok: true,
        },
        {
          from: 'endpoint0',
          to: 'cloud0',
          fromTier: 'endpoint',
          toTier: 'cloud',
          configuredRttMs: 90,
          measuredRttMs: 91.4,
          configuredRateMbit: 7.21,
          measuredRateMbit: 6.9,
          ok: true,
        },
        {
          from: 'endpoint1',
          to: 'cloud0',
          fromTier: 'endpoint',
          toTier: 'cloud',
          configuredRttMs: 90,
          measuredRttMs: 140.2,
          ok: false,
          note: 'outside tolerance',
        },
      ],
      warnings: [],
    },
    phases: [
      {
        phase: 'provision',
        startedAt: iso(t0 - 20000),
        endedAt: iso(t0 - 12000),
        durationMs: 8000,
        status: 'ok',
      },
      {
        phase: 'install',
        startedAt: iso(t0 - 12000),
        endedAt: iso(t0 - 2000),
        durationMs: 10000,
        status: 'ok',
      },
      {
        phase: 'benchmark',
        startedAt: iso(t0 - 1000),
        endedAt: iso(t0 + duration * 1000 + 1000),
        durationMs: duration * 1000 + 2000,
        status: 'ok',
      },
      {
        phase: 'collect',
        startedAt: iso(t0 + duration * 1000 + 1000),
        endedAt: iso(t0 + duration * 1000 + 1500),
        durationMs: 500,
        status: 'ok',
      },
      {
        phase: 'teardown',
        startedAt: iso(t0 + duration * 1000 + 1500),
        endedAt: iso(t0 + duration * 1000 + 4000),
        durationMs: 2500,
        status: 'ok',
      },
    ],
    application: {
      name: 'image-classification',
      status: 'ok',
      tables: [
        {
          id: 'worker',
          title: 'CLOUD OUTPUT',
          columns: [
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
          ],
          rows: Array.from({ length: workers }, (_, w) => [
            w,
            duration,
            45.2,
            3.1,
            proc + w * 10,
            44,
            50,
            60,
            2.1,
            duration * frequency * epw,
          ]),
        },
        {
          id: 'endpoint',
          title: 'ENDPOINT OUTPUT',
          columns: [
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
          ],
          rows: endpointRows,
        },
      ],
      summary: {
        mode: 'cloud',
        workers,
        endpoints: workers * epw,
        latency_p50_ms: p(0.5),
        latency_p95_ms: p(0.95),
        latency_p99_ms: p(0.99),
        throughput_images_per_s: workers * epw * frequency,
        images_lost: 0,
      },
      series,
      notes: [],
    },
    monitors: {
      prometheus: {
        tables: [
          {
            id: 'prometheus-nodes',
            title: 'NODE RESOURCES (source: prometheus)',
            columns: ['node', 'cpu_mean_pct', 'cpu_max_pct', 'cpu_seconds', 'mem_mean_mib', 'mem_max_mib'],
            rows: [['cloud0', 25, 40, 12, 300, 320]],
          },
        ],
        summary: { source: 'prometheus', prometheus: 'ok' },
        series: cpuSeries,
        notes: [],
      },
      scaphandre: {
        tables: [
          {
            id: 'energy',
            title: 'ENERGY (ESTIMATE: cpu-time power model)',
            columns: [
              'node',
              'phase',
              'duration_s',
              'cpu_s',
              'energy_j',
              'mean_power_w',
              'coverage',
              'source',
            ],
            rows: [
              [
                'host',
                'benchmark',
                duration,
                duration * 1.2,
                duration * 24,
                24,
                1,
                'estimate (cpu-time model)',
              ],
              [
                'cloud0',
                'benchmark',
                duration,
                duration * 0.6,
                duration * 7.2,
                7.2,
                1,
                'estimate (cpu-time model)',
              ],
              [
                'cloud1',
                'benchmark',
                duration,
                duration * 0.4,
                duration * 4.8,
                4.8,
                1,
                'estimate (cpu-time model)',
              ],
            ],
          },
        ],
        summary: {
          energy_source: 'estimate',
          energy_label: 'estimate: CPU time x 12 W/busy core (+ 10 W host idle); no RAPL',
          benchmark_host_energy_j: duration * 24,
        },
        series: power,
        notes: ['Energy values are ESTIMATES'],
      },
    },
    errors: [],
    teardown: { ok: true, errors: [] },
  };
}

export function fixtureRunDir(doc: ResultsDocument, base?: string): string {
  const root = base ?? mkdtempSync(join(tmpdir(), 'continuum-report-'));
  const dir = join(root, 'runs', doc.runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(doc));
  writeFileSync(join(dir, 'state.json'), '{}');
  return dir;
}
