import { describe, expect, it } from 'vitest';
import { validateWithSchema } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import app from '../src/index.js';
import { fileSdGroups, metricsPortOption } from '../src/metrics-targets.js';
import { optionsSchema } from '../src/options.js';
import { isServerless, resolveMode } from '../src/plan.js';
import type { ComponentRecord } from '../src/protocol.js';
import { buildTables, ENDPOINT_COLUMNS, WORKER_COLUMNS } from '../src/results/tables.js';

describe('serverless selection', () => {
  it('mode serverless, or auto under the openfaas runner / a cluster output with a function gateway', () => {
    expect(isServerless('serverless', 'process')).toBe(true);
    expect(isServerless('auto', 'openfaas')).toBe(true);
    expect(
      isServerless('auto', undefined, {
        gateway: {
          url: 'http://10.0.0.2:31112',
          functionUrlTemplate: 'http://10.0.0.2:31112/function/{name}',
        },
      }),
    ).toBe(true);
    expect(isServerless('auto', 'kubernetes', { apiServer: 'https://x' })).toBe(false);
    expect(isServerless('auto', 'process')).toBe(false);
    // An explicit mode wins over the runner.
    expect(isServerless('cloud', 'openfaas')).toBe(false);
    expect(resolveMode('serverless', 'edge')).toBe('cloud');
  });

  it('plan lists one function per cloud node when the runner is openfaas', async () => {
    const ctx = createTestContext({
      config: optionsSchema.parse({ frequency: 2 }),
      tiers: { cloud: { nodes: 2 }, edge: { nodes: 0 }, endpoint: { nodes: 2 } },
      runner: { name: 'openfaas', run: () => Promise.reject(new Error('not used')) },
    });
    const items = await app.plan!(ctx as never);
    expect(items.filter((i) => i.resource === 'function')).toHaveLength(2);
    expect(items.filter((i) => i.name.startsWith('worker'))).toHaveLength(0);
  });
});

describe('metrics option', () => {
  it('off by default; metrics: {} means port 9464; the env turns it on too; bad ports are rejected', async () => {
    expect(metricsPortOption(optionsSchema.parse({ frequency: 1 }), {})).toBeUndefined();
    expect(metricsPortOption(optionsSchema.parse({ frequency: 1, metrics: {} }), {})).toBe(9464);
    expect(metricsPortOption(optionsSchema.parse({ frequency: 1, metrics: { port: 0 } }), {})).toBe(0);
    expect(
      metricsPortOption(optionsSchema.parse({ frequency: 1 }), { CONTINUUM_APP_METRICS_PORT: '9500' }),
    ).toBe(9500);
    const bad = await validateWithSchema(optionsSchema, { frequency: 1, metrics: { port: 70000 } }, [
      'application',
      'options',
    ]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0]?.path).toBe('application.options.metrics.port');
  });

  it('file_sd groups carry host:port and the metrics path (a function behind the gateway)', () => {
    expect(
      fileSdGroups([
        { component: 'worker0', node: 'cloud0', url: 'http://10.0.0.3:9464/metrics' },
        { component: 'function0', node: 'cloud0', url: 'http://10.0.0.2:31112/function/image/metrics' },
      ]),
    ).toEqual([
      {
        targets: ['10.0.0.3:9464'],
        labels: {
          job: 'image-classification',
          component: 'worker0',
          node: 'cloud0',
          __metrics_path__: '/metrics',
        },
      },
      {
        targets: ['10.0.0.2:31112'],
        labels: {
          job: 'image-classification',
          component: 'function0',
          node: 'cloud0',
          __metrics_path__: '/function/image/metrics',
        },
      },
    ]);
  });
});

describe('serverless tables', () => {
  it('an empty CLOUD OUTPUT header, the endpoint table, processing from the function answers', () => {
    const T0 = 1_700_000_000_000;
    const endpoint: ComponentRecord[] = [];
    for (let seq = 0; seq < 20; seq++) {
      const t = T0 + seq * 200;
      endpoint.push({ type: 'sent', t, seq, bytes: 70_000, prepMs: 0.5 });
      endpoint.push({
        type: 'reply',
        t: t + 30,
        seq,
        sentAt: t,
        latencyMs: 30,
        worker: 'cloud0',
        label: 'Neutral',
        procMs: 20,
        queueMs: 0,
      });
    }
    endpoint.push({ type: 'sent', t: T0 + 4000, seq: 20, bytes: 70_000, prepMs: 0.5 });
    endpoint.push({ type: 'request-failed', t: T0 + 5000, seq: 20, message: 'ECONNREFUSED' });
    endpoint.push({ type: 'end', t: T0 + 5001, sent: 21, received: 20, lost: 1, behind: 0 });
    const t = buildTables(
      'cloud',
      [
        { name: 'function0', kind: 'function', index: 0, records: [] },
        { name: 'cloud0_endpoint0', kind: 'endpoint', index: 0, connectedTo: 0, records: endpoint },
      ],
      { serverless: true },
    );
    expect(t.tables.map((x) => [x.title, x.rows.length])).toEqual([
      ['CLOUD OUTPUT', 0],
      ['ENDPOINT OUTPUT', 1],
    ]);
    expect(t.tables[0]!.columns).toEqual(WORKER_COLUMNS);
    expect(t.tables[1]!.columns).toEqual(ENDPOINT_COLUMNS);
    const row = Object.fromEntries(t.tables[1]!.columns.map((c, i) => [c, t.tables[1]!.rows[0]![i]]));
    expect(row).toMatchObject({
      connected_to: 0,
      'data_size_avg (kb)': 70,
      'latency_avg (ms)': 30,
      sent: 21,
      received: 20,
      lost: 1,
    });
    expect(t.summary).toMatchObject({
      mode: 'serverless',
      functions: 1,
      endpoints: 1,
      requests_failed: 1,
      proc_time_p50_ms: 20,
      images_processed: 20,
      images_replied: 20,
    });
  });
});
