import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSameProcessRunning, stopHostProcess } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import app from '../src/index.js';
import { PACKAGE_DIR, resolveModel } from '../src/model/resolve.js';
import { createClassifier } from '../src/runtime/classifier.js';
import { optionsSchema } from '../src/options.js';
import type { AppState } from '../src/state.js';
import { ENDPOINT_COLUMNS, WORKER_COLUMNS } from '../src/results/tables.js';
import { makeCluster, type Cluster } from './support/env.js';

/**
 * The serverless variant for real on this host: the function (dist/function.js, real model on
 * onnxruntime) runs through the process runner on a host node, endpoints POST to it over loopback.
 */
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function context(c: Cluster, options: Record<string, unknown>, tiers: { cloud: number; endpoint: number }) {
  return createTestContext<ReturnType<typeof optionsSchema.parse>, AppState>({
    config: optionsSchema.parse(options),
    tiers: {
      cloud: { nodes: tiers.cloud, cores: 2, memoryMiB: 2048 },
      edge: { nodes: 0 },
      endpoint: { nodes: tiers.endpoint, cores: 1, memoryMiB: 1024 },
    },
    nodes: c.nodes,
    runner: c.runner,
    runDir: c.dir,
    outputs: { services: {} },
  });
}

const col = (table: { columns: string[]; rows: unknown[][] }, name: string, row = 0): number =>
  table.rows[row]![table.columns.indexOf(name)] as number;

async function perImageMs(): Promise<number> {
  const classifier = await createClassifier(resolveModel(undefined, PACKAGE_DIR));
  const jpeg = readFileSync(join(PACKAGE_DIR, 'assets', 'images', 'coffee.jpg'));
  await classifier.classify(jpeg);
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) await classifier.classify(jpeg);
  await classifier.close();
  return (performance.now() - t0) / 10;
}

describe('serverless variant (HTTP function, real model)', () => {
  it('endpoints POST {image, time} to the function: upstream serverless tables, latency covers processing', async () => {
    cluster = await makeCluster({ cloud: 1, endpoint: 2 }, false);
    const ctx = context(
      cluster,
      { mode: 'serverless', frequency: 5, duration: 2, workerCpu: 1 },
      { cloud: 1, endpoint: 2 },
    );
    const result = await app.benchmark(ctx);
    expect(result.problems ?? []).toEqual([]);
    expect(result.status).toBe('ok');
    expect(result.summary['mode']).toBe('serverless');
    // Upstream prints only the endpoint metrics, with an empty worker header in cloud mode.
    const [worker, endpoint] = result.tables;
    expect(worker).toMatchObject({ title: 'CLOUD OUTPUT', columns: WORKER_COLUMNS, rows: [] });
    expect(endpoint!.title).toBe('ENDPOINT OUTPUT');
    expect(endpoint!.columns).toEqual(ENDPOINT_COLUMNS);
    expect(endpoint!.rows.map((r) => r[0])).toEqual([0, 0]);
    const jpegBytes = readFileSync(join(PACKAGE_DIR, 'assets', 'images', 'coffee.jpg')).length;
    const procP50 = Number(result.summary['proc_time_p50_ms']);
    expect(procP50).toBeGreaterThan(1);
    for (let i = 0; i < 2; i++) {
      expect(col(endpoint!, 'sent', i)).toBe(10);
      expect(col(endpoint!, 'received', i)).toBe(10);
      expect(col(endpoint!, 'lost', i)).toBe(0);
      // JSON with base64: about 4/3 of a JPEG (the images differ in size; all are > 20 kB).
      expect(col(endpoint!, 'data_size_avg (kb)', i)).toBeGreaterThan(20 * 1.3);
      expect(col(endpoint!, 'preproc_time/data (ms)', i)).toBeGreaterThan(0);
      // A synchronous round trip contains the function's processing.
      expect(col(endpoint!, 'p50 (ms)', i)).toBeGreaterThanOrEqual(procP50);
    }
    expect(jpegBytes).toBeGreaterThan(20_000);
    expect(result.summary['images_replied']).toBe(20);
    expect(result.summary['images_processed']).toBe(20);
    // The function served until the benchmark stopped it (clean exit) and logged every request.
    const fn = readFileSync(join(cluster.dir, 'raw', 'function0.jsonl'), 'utf8');
    expect(fn.match(/"type":"processed"/g)).toHaveLength(20);
    expect(
      ctx.state
        .get()!
        .components.map((c) => c.name)
        .sort(),
    ).toEqual(['cloud0_endpoint0', 'cloud0_endpoint1', 'function0']);
    expect(ctx.state.get()!.components.every((c) => c.status === 'done')).toBe(true);
    await app.teardown(ctx);
  }, 90_000);

  it('a slow function lowers the rate instead of queueing (upstream rate loop): latency stays flat', async () => {
    const perImage = await perImageMs();
    // About 3x what one function thread sustains: every request is slower than the frame period.
    const frequency = Math.min(200, Math.max(10, Math.ceil((3 * 1000) / perImage)));
    cluster = await makeCluster({ cloud: 1, endpoint: 1 }, false);
    const ctx = context(
      cluster,
      { mode: 'serverless', frequency, duration: 1, workerCpu: 1 },
      { cloud: 1, endpoint: 1 },
    );
    const result = await app.benchmark(ctx);
    expect(result.status).toBe('ok');
    expect(Number(result.summary['cant_keep_up'])).toBeGreaterThan(frequency / 2);
    expect(Number(result.summary['queue_max_ms'])).toBeLessThan(Math.max(50, 2 * perImage));
    const points = (result.series ?? []).flatMap((s) => s.points).sort((a, b) => a[0] - b[0]);
    expect(points).toHaveLength(frequency);
    const avg = (xs: [number, number][]): number => xs.reduce((s, p) => s + p[1], 0) / xs.length;
    const tenth = Math.max(3, Math.floor(points.length / 10));
    const first = avg(points.slice(1, tenth + 1));
    const last = avg(points.slice(-tenth));
    expect(last, `first ${first.toFixed(1)} ms, last ${last.toFixed(1)} ms`).toBeLessThan(first * 3);
  }, 90_000);

  it('a function that dies mid-run gives a partial result naming it, without hanging', async () => {
    cluster = await makeCluster({ cloud: 1, endpoint: 1 }, false);
    const ctx = context(
      cluster,
      { mode: 'serverless', frequency: 5, duration: 10, workerCpu: 1 },
      { cloud: 1, endpoint: 1 },
    );
    const started = Date.now();
    const endpointLog = join(cluster.dir, 'logs', 'cloud0_endpoint0.log');
    const killer = setInterval(() => {
      const seen = existsSync(endpointLog)
        ? (readFileSync(endpointLog, 'utf8').match(/"type":"reply"/g) ?? []).length
        : 0;
      const fn = ctx.state.get()?.components.find((c) => c.name === 'function0');
      if (seen >= 3 && fn?.pid !== undefined) {
        clearInterval(killer);
        // SIGKILL: no chance to answer or flush, as a crashed function.
        process.kill(fn.pid, 'SIGKILL');
      }
    }, 100);
    const result = await app.benchmark(ctx).finally(() => clearInterval(killer));
    expect(result.status).toBe('partial');
    expect((result.problems ?? []).join('\n')).toMatch(/function0/);
    expect(Number(result.summary['images_replied'])).toBeGreaterThanOrEqual(3);
    expect(Number(result.summary['images_replied'])).toBeLessThan(50);
    expect(Date.now() - started).toBeLessThan(30_000);
    await app.teardown(ctx);
    for (const c of ctx.state.get()!.components) {
      expect(c.status).toBe('done');
      if (c.pid !== undefined)
        await stopHostProcess({ pid: c.pid, ...(c.startTime ? { startTime: c.startTime } : {}) }, 500);
    }
  }, 60_000);

  it('cancelling a serverless run stops the function and the endpoints (ABORTED)', async () => {
    cluster = await makeCluster({ cloud: 1, endpoint: 1 }, false);
    const controller = new AbortController();
    const ctx = createTestContext<ReturnType<typeof optionsSchema.parse>, AppState>({
      config: optionsSchema.parse({ mode: 'serverless', frequency: 2, duration: 60, workerCpu: 1 }),
      tiers: { cloud: { nodes: 1, cores: 2, memoryMiB: 2048 }, endpoint: { nodes: 1, cores: 1 } },
      nodes: cluster.nodes,
      runner: cluster.runner,
      runDir: cluster.dir,
      outputs: { services: {} },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('test cancel')), 2500);
    const started = Date.now();
    await expect(app.benchmark(ctx)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(20_000);
    const comps = ctx.state.get()!.components;
    expect(comps.map((c) => c.name).sort()).toEqual(['cloud0_endpoint0', 'function0']);
    for (const c of comps)
      expect(isSameProcessRunning({ pid: c.pid!, ...(c.startTime ? { startTime: c.startTime } : {}) })).toBe(
        false,
      );
    await app.teardown(ctx);
  }, 40_000);
});
