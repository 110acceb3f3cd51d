import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSameProcessRunning, processStartTime } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import app from '../src/index.js';
import { optionsSchema, type Options } from '../src/options.js';
import type { AppState } from '../src/state.js';
import { makeCluster, type Cluster } from './support/env.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('teardown and cancellation', () => {
  it('teardown from the state blob alone (fresh context) stops a component that is still running', async () => {
    cluster = await makeCluster({ endpoint: 1 }, false);
    const node = cluster.nodes[0]!;
    const proc = await node.spawn(['sleep', '60'], {
      logFile: join(cluster.dir, 'sleep.log'),
      detached: true,
    });
    const state: AppState = {
      components: [
        {
          name: 'endpoint0',
          node: node.name,
          runner: 'process',
          pid: proc.ref.pid,
          startTime: processStartTime(proc.ref.pid)!,
          status: 'running',
        },
      ],
    };
    const fresh = createTestContext<Options, AppState>({
      config: optionsSchema.parse({ frequency: 1 }),
      nodes: cluster.nodes,
      state,
    });
    expect(isSameProcessRunning(proc.ref)).toBe(true);
    await app.teardown(fresh);
    expect(isSameProcessRunning(proc.ref)).toBe(false);
    expect(fresh.state.get()!.components[0]!.status).toBe('done');
    await app.teardown(fresh); // idempotent
  });

  it('teardown never signals a recycled PID (start time differs)', async () => {
    cluster = await makeCluster({ endpoint: 1 }, false);
    const node = cluster.nodes[0]!;
    const proc = await node.spawn(['sleep', '30'], {
      logFile: join(cluster.dir, 'sleep2.log'),
      detached: true,
    });
    const state: AppState = {
      components: [
        {
          name: 'x',
          node: node.name,
          runner: 'process',
          pid: proc.ref.pid,
          startTime: '1',
          status: 'running',
        },
      ],
    };
    const ctx = createTestContext<Options, AppState>({
      config: optionsSchema.parse({ frequency: 1 }),
      nodes: cluster.nodes,
      state,
    });
    await app.teardown(ctx);
    expect(isSameProcessRunning(proc.ref)).toBe(true);
    await node.stop(proc.ref, { graceMs: 500 });
  });

  it('cancelling the run (ctx.signal) stops every component and rejects with ABORTED', async () => {
    cluster = await makeCluster({ cloud: 1, endpoint: 1 });
    const controller = new AbortController();
    const ctx = createTestContext<Options, AppState>({
      config: optionsSchema.parse({ frequency: 2, duration: 60 }),
      tiers: { cloud: { nodes: 1, cores: 2, memoryMiB: 2048 }, endpoint: { nodes: 1, cores: 1 } },
      nodes: cluster.nodes,
      runner: cluster.runner,
      runDir: cluster.dir,
      outputs: { services: { mqtt: cluster.mqttOutput } },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('test cancel')), 3000);
    const started = Date.now();
    await expect(app.benchmark(ctx)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(20_000);
    const comps = ctx.state.get()!.components;
    expect(comps.length).toBe(2);
    for (const c of comps)
      expect(isSameProcessRunning({ pid: c.pid!, ...(c.startTime ? { startTime: c.startTime } : {}) })).toBe(
        false,
      );
    await app.teardown(ctx);
  }, 40_000);
});
