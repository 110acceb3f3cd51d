import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestContext } from '@continuum/plugin-api/testing';
import app from '../src/index.js';
import { startMetrics } from '../src/components/metrics.js';
import { METRICS_TARGETS_FILE } from '../src/metrics-targets.js';
import { optionsSchema } from '../src/options.js';
import type { AppState } from '../src/state.js';
import { makeCluster, type Cluster } from './support/env.js';

/** prom-client metrics (issue 7): same names as @continuum/monitor-prometheus/app-metrics. */
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Value of a sample line `name{labels} value` (labels matched by substring). */
function sample(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!line.includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('component metrics', () => {
  it('off unless METRICS_PORT is set; on, /metrics serves the monitor-prometheus names with moving counters', async () => {
    const off = await startMetrics('endpoint', 'e0', {});
    expect(off.url).toBeUndefined();
    off.sent(); // no-op, no server

    const m = await startMetrics('endpoint', 'e0', { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
    try {
      expect(m.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      m.sent();
      m.latency(42);
      const first = await (await fetch(m.url!)).text();
      m.sent();
      m.sent();
      const second = await (await fetch(m.url!)).text();
      const label = 'endpoint="e0"';
      expect(sample(first, 'continuum_app_messages_sent_total', label)).toBe(1);
      expect(sample(second, 'continuum_app_messages_sent_total', label)).toBe(3);
      expect(sample(second, 'continuum_app_latency_seconds_count', label)).toBe(1);
      expect(sample(second, 'continuum_app_latency_seconds_bucket', 'le="0.05"')).toBe(1);
      expect(sample(second, 'continuum_app_latency_seconds_bucket', 'le="0.025"')).toBe(0);
      expect((await fetch(m.url!.replace('/metrics', '/other'))).status).toBe(404);
      if (existsSync('/usr/bin/promtool'))
        execFileSync('promtool', ['check', 'metrics'], { input: second, stdio: ['pipe', 'pipe', 'pipe'] });
    } finally {
      await m.close();
    }
  });

  it('a worker with metrics on answers /metrics while it runs, with processed counts moving', async () => {
    cluster = await makeCluster({ cloud: 1, endpoint: 1 });
    const ctx = createTestContext<ReturnType<typeof optionsSchema.parse>, AppState>({
      config: optionsSchema.parse({ frequency: 5, duration: 4, metrics: { port: 0 } }),
      tiers: {
        cloud: { nodes: 1, cores: 2, memoryMiB: 2048 },
        edge: { nodes: 0 },
        endpoint: { nodes: 1, cores: 1, memoryMiB: 1024 },
      },
      nodes: cluster.nodes,
      runner: cluster.runner,
      runDir: cluster.dir,
      outputs: { services: { mqtt: cluster.mqttOutput } },
    });
    const workerLog = join(cluster.dir, 'logs', 'worker0.log');
    const scrapes: number[] = [];
    let workerUrl: string | undefined;
    const scraper = (async () => {
      const until = Date.now() + 30_000;
      while (Date.now() < until && scrapes.length < 2) {
        await new Promise((r) => setTimeout(r, 300));
        if (workerUrl === undefined && existsSync(workerLog)) {
          workerUrl = /"metricsUrl":"([^"]+)"/.exec(readFileSync(workerLog, 'utf8'))?.[1];
          continue;
        }
        if (workerUrl === undefined) continue;
        const text = await fetch(workerUrl).then(
          (r) => r.text(),
          () => '',
        );
        const processed = sample(text, 'continuum_app_messages_processed_total', 'worker="cloud0"');
        if (processed === undefined || processed === 0) continue;
        if (scrapes.length === 0 || processed > scrapes[0]!) scrapes.push(processed);
        if (scrapes.length === 1) await new Promise((r) => setTimeout(r, 800));
      }
    })();
    const result = await app.benchmark(ctx);
    await scraper;
    expect(result.status).toBe('ok');
    expect(workerUrl).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/metrics$/); // bound to the node's address
    expect(scrapes).toHaveLength(2);
    expect(scrapes[1]!).toBeGreaterThan(scrapes[0]!);
    // Scrape targets: every component, in the results and as a Prometheus file_sd file.
    const targets = String(result.summary['metrics_targets']).split(',');
    expect(targets).toHaveLength(2);
    expect(targets).toContain(workerUrl);
    const fileSd = JSON.parse(readFileSync(join(cluster.dir, METRICS_TARGETS_FILE), 'utf8')) as {
      targets: string[];
      labels: Record<string, string>;
    }[];
    expect(fileSd.map((g) => g.labels['component']).sort()).toEqual(['cloud0_endpoint0', 'worker0']);
    expect(fileSd.flatMap((g) => g.targets).sort()).toEqual(targets.map((t) => new URL(t).host).sort());
    expect(fileSd.every((g) => g.labels['__metrics_path__'] === '/metrics')).toBe(true);
    await app.teardown(ctx);
  }, 90_000);
});
