import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTestContext, capabilityContract } from '@continuum/plugin-api/testing';
import type { PluginManifest } from '@continuum/plugin-api';
import rm, {
  DEPLOYMENT_METHODS,
  breakdownSvg,
  cpuQuantity,
  deploymentPlan,
  fatalLines,
  formatTable,
  jobManifest,
  kubectlStatus,
  kubeedgeDiagnostics,
  kubernetesDiagnostics,
  kubernetesOptionsSchema,
  monotonicityWarnings,
  nodeReadiness,
  parseKubeVersion,
  parseRecap,
  phaseDurations,
  podTiming,
  stuckReason,
  summarize,
  timelineFromPod,
  toCsv,
  toMs,
  validateManifests,
  TIMING_COLUMNS,
  type PodLike,
  type SchedulerEvent,
} from '../src/index.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

describe('Kubernetes versions (pkgs.k8s.io)', () => {
  it('accepts minors and patches and derives the apt pin, kubeadm version and pause image', () => {
    expect(parseKubeVersion('1.31')).toMatchObject({
      version: 'v1.31',
      minor: 'v1.31',
      aptPin: '1.31.*',
      kubeadmVersion: 'stable-1.31',
      pauseImage: 'registry.k8s.io/pause:3.10',
    });
    expect(parseKubeVersion('v1.29.9')).toMatchObject({
      version: 'v1.29.9',
      aptPin: '1.29.9-*',
      kubeadmVersion: 'v1.29.9',
      pauseImage: 'registry.k8s.io/pause:3.9',
    });
  });
  it('rejects unknown versions with a clear error naming the option', () => {
    for (const bad of ['1.21', 'v1.99', 'latest', '2.0']) {
      expect(() => parseKubeVersion(bad)).toThrow(
        /resourceManager\.options\.kubernetesVersion: ".*" is not a Kubernetes version published at pkgs\.k8s\.io/,
      );
    }
    const r = kubernetesOptionsSchema.safeParse({ kubernetesVersion: 'v1.21.0' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('unknown Kubernetes version');
    expect(kubernetesOptionsSchema.safeParse({ bogus: 1 }).success).toBe(false);
  });
});

describe('node-count rules (continuum-upstream.md §2.7)', () => {
  it('kubernetes: clouds >= 1, no edges, endpoints divisible by workers', () => {
    expect(
      kubernetesDiagnostics({ cloud: 3, edge: 0, endpoint: 4 }).filter((d) => d.severity === 'error'),
    ).toEqual([]);
    const bad = kubernetesDiagnostics({ cloud: 3, edge: 1, endpoint: 3 });
    expect(bad.map((d) => d.path)).toEqual(['infrastructure.edge.nodes', 'infrastructure.endpoint.nodes']);
    expect(bad[1]?.message).toContain('3 endpoints cannot be spread evenly over 2 cloud worker(s)');
    expect(kubernetesDiagnostics({ cloud: 0, edge: 0, endpoint: 1 })[0]?.message).toContain('No cloud nodes');
  });
  it('kubeedge: exactly 1 cloud, edges >= 1, endpoints divisible by edges', () => {
    expect(kubeedgeDiagnostics({ cloud: 1, edge: 2, endpoint: 4 })).toEqual([]);
    const noEdge = kubeedgeDiagnostics({ cloud: 1, edge: 0, endpoint: 2 });
    expect(noEdge).toHaveLength(1);
    expect(noEdge[0]).toMatchObject({ severity: 'error', path: 'infrastructure.edge.nodes' });
    expect(noEdge[0]?.message).toContain('edge nodes >= 1');
    expect(kubeedgeDiagnostics({ cloud: 2, edge: 1, endpoint: 1 })[0]?.path).toBe(
      'infrastructure.cloud.nodes',
    );
  });
});

describe('manifests validate against the Kubernetes OpenAPI schemas', () => {
  it('a worker Job carries upstream resource requests, env and node pinning', async () => {
    const job = jobManifest(
      {
        name: 'worker-cloud0',
        node: 'cloud0',
        command: ['/usr/bin/node', '/opt/app/worker.js'],
        cpu: 1.5,
        memoryMiB: 1500,
        env: { CPU_THREADS: '1', ENDPOINT_CONNECTED: '2' },
        files: [{ from: '/x', to: '/opt/app' }],
      },
      {
        runId: '20261123-100000-k3x9',
        namespace: 'default',
        image: 'continuum/node-runtime:1',
        imagePullPolicy: 'Never',
        hostPaths: ['/opt/app'],
        nodeSelector: { 'continuum.io/node': 'cloud0' },
      },
    );
    expect(await validateManifests([job])).toEqual({ validated: 1, unknownKinds: [] });
    const c = (
      job as {
        spec: { template: { spec: { containers: { resources: unknown; env: { name: string }[] }[] } } };
      }
    ).spec.template.spec.containers[0];
    expect(c?.resources).toEqual({ requests: { cpu: '1500m', memory: '1500Mi' } });
    expect(c?.env.map((e) => e.name)).toEqual(['CPU_THREADS', 'ENDPOINT_CONNECTED', 'MQTT_LOCAL_IP']);
    expect(cpuQuantity(0.0001)).toBe('1m');
  });
  it('the four deployment methods produce valid Jobs with the right shape', async () => {
    for (const method of DEPLOYMENT_METHODS) {
      const plan = deploymentPlan({
        method,
        replicas: 5,
        sleepSeconds: 10,
        image: 'continuum/node-runtime:1',
        nodeBinary: '/usr/bin/node',
        namespace: 'default',
        runId: 'r-k3x9',
        benchId: 'b1',
      });
      expect(await validateManifests(plan.jobs)).toEqual({ validated: plan.jobs.length, unknownKinds: [] });
      expect(plan.instances).toBe(5);
      const containers = (j: Record<string, unknown>) =>
        (j as { spec: { template: { spec: { containers: unknown[] } } } }).spec.template.spec.containers
          .length;
      if (method === 'pod')
        expect([
          plan.jobs.length,
          (plan.jobs[0] as { spec: { parallelism: number } }).spec.parallelism,
        ]).toEqual([1, 5]);
      if (method === 'container')
        expect([plan.jobs.length, containers(plan.jobs[0] as Record<string, unknown>)]).toEqual([1, 5]);
      if (method === 'file' || method === 'call')
        expect([plan.jobs.length, plan.parallel]).toEqual([5, method === 'call']);
    }
  });
  it('rejects an invalid manifest with the schema path', async () => {
    await expect(
      validateManifests([
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'x' },
          spec: { template: { spec: { containers: [{ image: 'a' }] } } },
        },
      ]),
    ).rejects.toThrow(/must have required property name/);
    expect(
      await validateManifests([{ apiVersion: 'openfaas.com/v1', kind: 'Function', metadata: { name: 'f' } }]),
    ).toEqual({ validated: 0, unknownKinds: ['openfaas.com/v1/Function'] });
  });
});

describe('pod status parsing (documented Pod format fixtures)', () => {
  const done = fixture<PodLike>('pod-succeeded.json');
  const stuck = fixture<PodLike>('pod-pending-imagepull.json');
  it('builds the status timeline from the pod', () => {
    const t = timelineFromPod(done);
    expect(t.map((s) => s.phase)).toEqual(['pending', 'pending', 'running', 'succeeded']);
    expect(t[3]?.time).toBe(Date.parse('2026-11-23T10:00:05Z'));
    expect(kubectlStatus(done)).toBe('Succeeded');
  });
  it('recognises a pod that will never start', () => {
    expect(kubectlStatus(stuck)).toBe('ErrImageNeverPull');
    expect(stuckReason(stuck)).toContain(
      'ErrImageNeverPull: Container image "continuum/missing:1" is not present',
    );
    expect(stuckReason(done)).toBeUndefined();
  });
  it('checks node readiness', () => {
    const r = nodeReadiness(fixture<{ items: never[] }>('nodes-notready.json').items, [
      'cloud-controller',
      'cloud0',
    ]);
    expect(r.missing).toEqual(['cloud0']);
    expect(r.notReady[0]?.reason).toContain('KubeletNotReady: container runtime network not ready');
    expect(
      nodeReadiness(fixture<{ items: never[] }>('nodes-ready.json').items, ['cloud-controller', 'cloud0'])
        .ready,
    ).toHaveLength(2);
  });
});

describe('deployment benchmark math', () => {
  const pod = fixture<PodLike>('pod-succeeded.json');
  const events = fixture<{ items: SchedulerEvent[] }>('events-scheduled.json').items;
  const start = Date.parse('2026-11-23T10:00:00.500Z');
  it('computes per-pod phase times, preferring finer watch/event stamps', () => {
    const t = podTiming(
      {
        pod,
        events,
        watch: { created: start + 700, initialized: start + 1200, started: start + 2100 },
        appStart: toMs('2026-11-23T10:00:02.734512345Z') as number,
      },
      start,
    );
    // created: API says 10:00:01 (whole second) and the watch saw it at 10:00:01.200 → 0.700 s
    expect(t.created).toBeCloseTo(0.7, 6);
    // scheduled: the scheduler event's MicroTime 10:00:01.412345
    expect(t.scheduled).toBeCloseTo(0.912345, 6);
    expect(t.initialized).toBeCloseTo(1.2, 6);
    // started: API 10:00:02; watch 10:00:02.600 lies inside that second → 2.1 s
    expect(t.started).toBeCloseTo(2.1, 6);
    expect(t.application).toBeCloseTo(2.234512, 5);
    const d = phaseDurations(t);
    expect(d.create).toBeCloseTo(0.7, 6);
    expect(d.schedule).toBeCloseTo(0.212345, 6);
    expect(d.application).toBeCloseTo(0.134512, 5);
    expect(monotonicityWarnings([t])).toEqual([]);
  });
  it('falls back to API stamps, flags non-monotonic rows, and prints table, CSV and SVG', () => {
    const coarse = podTiming({ pod, events: [] }, start);
    expect(coarse.created).toBeCloseTo(0.5, 6);
    expect(coarse.application).toBeUndefined();
    const broken = { ...coarse, pod: 'weird', initialized: 2.5, started: 0.1, application: 3 };
    expect(monotonicityWarnings([broken])[0]).toContain(
      'weird/app: started (0.100 s) is earlier than initialized',
    );
    const rows = [
      podTiming({ pod, events, appStart: start + 2500 }, start),
      { ...coarse, pod: 'p2', application: 1.5 },
    ];
    const table = formatTable(rows);
    for (const col of TIMING_COLUMNS) expect(table.split('\n')[0]).toContain(col);
    expect(table.split('\n')[1]?.startsWith('p2')).toBe(true); // sorted by started_application
    const csv = toCsv(rows).trim().split('\n');
    expect(csv[0]).toBe(
      'pod,container,created_pod (s),scheduled_pod (s),initialized_pod (s),started_container (s),started_application (s)',
    );
    expect(csv).toHaveLength(3);
    const svg = breakdownSvg(rows, 'test');
    expect(svg).toMatch(/^<svg /);
    expect((svg.match(/<rect /g) ?? []).length).toBeGreaterThanOrEqual(5 + 5);
    expect(summarize(rows)).toMatchObject({ pods: 2, deployed: 2, makespan: 2.5 });
  });
});

describe('ansible output parsing (real ansible-core 2.14 output)', () => {
  it('parses the recap', () => {
    const text = readFileSync(new URL('./fixtures/ansible-recap.txt', import.meta.url), 'utf8');
    expect(parseRecap(text)).toEqual([
      { host: 'localhost', ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 },
    ]);
    expect(fatalLines('fatal: [cloud0]: FAILED! => {"msg": "boom"}\nok: [x]')).toEqual([
      'fatal: [cloud0]: FAILED! => {"msg": "boom"}',
    ]);
  });
});

describe('plugin contract and validate()', () => {
  const manifest = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      continuum: PluginManifest;
    }
  ).continuum;
  const load = (entry: string): Promise<Record<string, unknown>> =>
    entry.endsWith('deployment-app.js')
      ? import('../src/deployment-app.js')
      : Promise.resolve({ default: rm });
  for (const c of capabilityContract({ manifest, load })) it(c.name, c.run);
  it('reports upstream rule violations as diagnostics', async () => {
    const ctx = createTestContext({
      config: kubernetesOptionsSchema.parse({}),
      tiers: { cloud: { nodes: 2 }, edge: { nodes: 1 }, endpoint: { nodes: 1 } },
      withController: true,
    });
    const diags = await rm.validate?.(ctx as never);
    expect(diags?.some((d) => d.path === 'infrastructure.edge.nodes' && d.severity === 'error')).toBe(true);
  });
});
