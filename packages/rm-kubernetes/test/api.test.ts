import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostNode, createMemoryLogger } from '@continuum/plugin-api';
import {
  TIMING_COLUMNS,
  connect,
  createJobRunner,
  runDeploymentBenchmark,
  waitForNodesReady,
  type JobRecord,
} from '../src/index.js';
import { createTestContext } from '@continuum/plugin-api/testing';
import deploymentApp, { deploymentOptionsSchema } from '../src/deployment-app.js';
import { fakeApiServer } from './helpers.js';
import { scriptedCluster } from './fake-cluster.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('readiness polling through @kubernetes/client-node', () => {
  it('polls the API until every node is Ready', async () => {
    let calls = 0;
    const api = await fakeApiServer((req, url) => {
      if (url.pathname !== '/api/v1/nodes') return undefined;
      calls++;
      if (calls === 1)
        return { status: 503, json: { kind: 'Status', code: 503, message: 'apiserver starting' } };
      return { json: fixture(calls < 4 ? 'nodes-notready.json' : 'nodes-ready.json') };
    });
    closers.push(api.close);
    const client = await connect(api.kubeconfig);
    const r = await waitForNodesReady(client, ['cloud-controller', 'cloud0'], {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    expect(r.polls).toBe(4);
    expect(api.requests.every((q) => q.startsWith('GET /api/v1/nodes'))).toBe(true);
  });

  it('times out with the reason each node is not Ready', async () => {
    const api = await fakeApiServer((_req, url) =>
      url.pathname === '/api/v1/nodes' ? { json: fixture('nodes-notready.json') } : undefined,
    );
    closers.push(api.close);
    const client = await connect(api.kubeconfig);
    await expect(
      waitForNodesReady(client, ['cloud-controller', 'cloud0'], { timeoutMs: 300, intervalMs: 50 }),
    ).rejects.toThrow(
      /not all Ready after 0 s: not registered: cloud0; cloud-controller: KubeletNotReady: container runtime network not ready/,
    );
  });

  it('overrides the kubeconfig server with the reachable API address', async () => {
    const api = await fakeApiServer((_req, url) =>
      url.pathname === '/api/v1/nodes' ? { json: fixture('nodes-ready.json') } : undefined,
    );
    closers.push(api.close);
    const dead = await connect(api.kubeconfig, { server: 'http://127.0.0.1:9' });
    expect(dead.server).toBe('http://127.0.0.1:9');
    await expect(waitForNodesReady(dead, ['cloud0'], { timeoutMs: 200, intervalMs: 50 })).rejects.toThrow(
      /never answered/,
    );
  });
});

describe('job runner against a scripted API (client-node over HTTP)', () => {
  const node = createHostNode({
    name: 'cloud0',
    tier: 'cloud',
    role: 'cloud',
    address: '127.0.0.1',
    limits: { cores: 1, cpuQuota: 1, memoryMiB: 512 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
  });
  const runnerFor = async (
    behaviour: 'ok' | 'stuck' | 'fail' | 'never',
    extra: { startTimeoutMs?: number; stuckGraceMs?: number } = {},
  ) => {
    const cluster = await scriptedCluster({ pendingMs: 150, runMs: 400, behaviour: () => behaviour });
    closers.push(cluster.close);
    const records: JobRecord[] = [];
    const runner = createJobRunner({
      client: () => connect(cluster.kubeconfig),
      runId: '20261123-100000-k3x9',
      namespace: 'default',
      nodes: [node],
      logDir: mkdtempSync(join(tmpdir(), 'rmk8s-logs-')),
      ensureImage: () => Promise.resolve('continuum/node-runtime:test'),
      record: (j) => (records.push(j), Promise.resolve()),
      pollIntervalMs: 50,
      ...extra,
    });
    return { cluster, runner, records };
  };

  it('creates a pinned Job, streams timestamped logs and ends with a status timeline', async () => {
    const { cluster, runner, records } = await runnerFor('ok');
    const w = await runner.run({
      name: 'worker-cloud0',
      node: 'cloud0',
      command: ['node', 'worker.js'],
      cpu: 0.5,
      memoryMiB: 256,
    });
    const seen: string[] = [];
    w.onLine((l) => seen.push(l.line));
    const exit = await w.wait({ timeoutMs: 10_000 });
    expect(exit).toEqual({ phase: 'succeeded', exitCode: 0 });
    expect(records).toEqual([{ namespace: 'default', name: 'worker-cloud0-k3x9' }]);
    const posted = cluster.jobs.get('worker-cloud0-k3x9')?.body as unknown as {
      spec: {
        template: {
          spec: { nodeSelector: unknown; containers: { imagePullPolicy: string; resources: unknown }[] };
        };
      };
    };
    expect(posted.spec.template.spec.nodeSelector).toEqual({ 'continuum.io/node': 'cloud0' });
    expect(posted.spec.template.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'Never',
      resources: { requests: { cpu: '500m', memory: '256Mi' } },
    });
    const logs = await w.logs();
    expect(logs.map((l) => l.line)).toEqual([
      'Start the application',
      'Latency (ns): 1234',
      'End the application',
    ]);
    expect(seen).toContain('Start the application');
    expect(logs[0]?.time).toBeGreaterThan(Date.now() - 60_000);
    const phases = w.timeline().map((s) => s.phase);
    expect(phases[0]).toBe('pending');
    expect(phases).toContain('running');
    expect(phases.at(-1)).toBe('succeeded');
    await w.stop();
    expect(cluster.deleted).toContain('worker-cloud0-k3x9');
  });

  it('reports a failing container with its exit code', async () => {
    const { runner } = await runnerFor('fail');
    const w = await runner.run({ name: 'w', node: 'cloud0', command: ['x'] });
    expect(await w.wait({ timeoutMs: 10_000 })).toEqual({ phase: 'failed', exitCode: 2, reason: 'Error' });
  });

  it('a workload that can never start fails with the reason instead of hanging', async () => {
    const { runner } = await runnerFor('stuck', { stuckGraceMs: 300 });
    const w = await runner.run({ name: 'w', node: 'cloud0', command: ['x'] });
    const exit = await w.wait({ timeoutMs: 10_000 });
    expect(exit.phase).toBe('failed');
    expect(exit.reason).toContain('cannot start: ErrImageNeverPull');
    const never = await runnerFor('never', { startTimeoutMs: 400, stuckGraceMs: 60_000 });
    const w2 = await never.runner.run({ name: 'w2', node: 'cloud0', command: ['x'] });
    expect((await w2.wait({ timeoutMs: 10_000 })).reason).toMatch(
      /cannot start: Unschedulable|never started/,
    );
  });

  it('rejects components for nodes outside the cluster', async () => {
    const { runner } = await runnerFor('ok');
    await expect(runner.run({ name: 'x', node: 'endpoint0', command: ['x'] })).rejects.toMatchObject({
      code: 'RUNNER_UNKNOWN_NODE',
    });
  });
});

describe('deployment benchmark end to end against the scripted API', () => {
  for (const method of ['pod', 'container', 'file', 'call'] as const) {
    it(`method ${method}: per-pod timings, CSV and SVG`, async () => {
      const cluster = await scriptedCluster({ pendingMs: 120, runMs: 5_000 });
      closers.push(cluster.close);
      const client = await connect(cluster.kubeconfig);
      const dir = mkdtempSync(join(tmpdir(), 'rmk8s-deploy-'));
      const r = await runDeploymentBenchmark(
        client,
        {
          method,
          replicas: 3,
          sleepSeconds: 5,
          image: 'continuum/node-runtime:test',
          nodeBinary: '/usr/bin/node',
          namespace: 'default',
          runId: 'r-k3x9',
          benchId: `b-${method}`,
        },
        { dir, log: createMemoryLogger(), pollMs: 30, timeoutMs: 10_000 },
      );
      expect(r.rows).toHaveLength(3);
      for (const row of r.rows) {
        expect(row.created).toBeGreaterThanOrEqual(-1);
        expect(row.started).toBeDefined();
        expect(row.application).toBeDefined();
        // The app logs 123 ms after its container started. The start is refined by polling; when a
        // loaded machine delays the poll, it falls back to the API's whole-second stamp, which can
        // only be earlier: the gap stays positive and below one second plus the log delay.
        const gap = (row.application as number) - (row.started as number);
        expect(gap).toBeGreaterThan(0);
        expect(gap).toBeLessThan(1.2);
      }
      expect(r.summary.deployed).toBe(3);
      expect(readFileSync(r.files.csv, 'utf8').split('\n')[0]).toContain('started_application (s)');
      expect(readFileSync(r.files.svg, 'utf8')).toContain('<svg');
      expect(r.table.split('\n')).toHaveLength(4);
      // cleanup deletes every Job it created
      expect(cluster.deleted.length).toBe(method === 'file' || method === 'call' ? 3 : 1);
    }, 30_000);
  }
});

describe('deployment-benchmark application (config-selectable) against the scripted API', () => {
  it('runs the cache run and all four methods and returns upstream-style tables', async () => {
    const cluster = await scriptedCluster({ pendingMs: 80, runMs: 5_000 });
    closers.push(cluster.close);
    const ctx = createTestContext({
      config: deploymentOptionsSchema.parse({
        method: 'all',
        replicas: 2,
        sleepSeconds: 5,
        timeoutSeconds: 20,
      }),
      outputs: {
        cluster: {
          kubeconfig: cluster.kubeconfig,
          apiServer: cluster.url,
          namespace: 'default',
          runtimeImage: 'continuum/node-runtime:test',
        },
      },
    });
    const result = await deploymentApp.benchmark(ctx);
    expect(result.problems ?? []).toEqual([]);
    expect(result.status).toBe('ok');
    expect(result.tables.map((t) => t.id)).toEqual([
      'deployment_pod',
      'deployment_container',
      'deployment_file',
      'deployment_call',
    ]);
    for (const t of result.tables) {
      expect(t.columns).toEqual([...TIMING_COLUMNS]);
      expect(t.rows).toHaveLength(2);
      expect(typeof t.rows[0]?.[6]).toBe('number');
    }
    expect(result.summary['call_deployed']).toBe(2);
    expect(result.artifacts).toHaveLength(8);
  }, 60_000);

  it('says what to select when no Kubernetes cluster was installed', async () => {
    const ctx = createTestContext({ config: deploymentOptionsSchema.parse({}) });
    await expect(deploymentApp.benchmark(ctx)).rejects.toMatchObject({ code: 'DEPLOYMENT_NEEDS_KUBERNETES' });
  });
});
