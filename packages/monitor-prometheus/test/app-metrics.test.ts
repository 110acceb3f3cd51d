import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { createAppMetrics } from '../src/app-metrics.js';
import { freePort } from '@continuum/plugin-api';

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

describe('app metrics helper (prom-client)', () => {
  it('serves the documented metrics, labelled per worker, in a format promtool accepts', async () => {
    const m = await createAppMetrics({ component: 'worker', name: 'cloud0' });
    m.processed.inc(3);
    m.processing.observe(0.02);
    m.latency.observe(0.2);
    m.queue.set(4);
    const port = await freePort();
    servers.push(await m.serve(port, '127.0.0.1'));
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('continuum_app_messages_processed_total{worker="cloud0",component="worker"} 3');
    expect(text).toContain('continuum_app_queue_length{worker="cloud0",component="worker"} 4');
    expect(text).toMatch(
      /continuum_app_processing_seconds_bucket\{le="0.025",worker="cloud0",component="worker"\} 1/,
    );
    expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' }).trim()).toBe('');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
