import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContinuumError, type Logger } from '@continuum/plugin-api';
import {
  breakdownSvg,
  formatTable,
  monotonicityWarnings,
  podTiming,
  summarize,
  toCsv,
  type BreakdownSummary,
  type DeploymentMethod,
  type PodTiming,
  type SchedulerEvent,
  type WatchObservations,
} from './deploy-bench.js';
import type { KubeClient } from './k8s.js';
import { RUN_LABEL, cpuQuantity, dnsLabel } from './manifests.js';
import { conditionTime, toMs, type PodLike } from './pod-status.js';

export const DEPLOY_LABEL = 'continuum.io/deployment-benchmark';

export interface DeploymentOptions {
  method: DeploymentMethod;
  replicas: number;
  sleepSeconds: number;
  image: string;
  /** The node binary inside the image. */
  nodeBinary: string;
  namespace: string;
  runId: string;
  benchId: string;
  cpu?: number;
  memoryMiB?: number;
  nodeSelector?: Record<string, string>;
  imagePullPolicy?: 'Never' | 'IfNotPresent' | 'Always';
}

export const START_MARKER = 'Start the application';

/** Upstream's `empty` app: prints the start line, sleeps, prints the end line. */
export function sleeperCommand(nodeBinary: string, sleepSeconds: number): string[] {
  return [
    nodeBinary,
    '-e',
    `console.log(${JSON.stringify(START_MARKER)}); setTimeout(() => console.log('End the application'), ${Math.round(sleepSeconds * 1000)});`,
  ];
}

export interface DeploymentPlan {
  /** Objects created in order; `parallel` ones are created with concurrent API calls. */
  jobs: Record<string, unknown>[];
  parallel: boolean;
  /** How many app instances (pods × containers) to expect. */
  instances: number;
}

/**
 * Upstream's four submission methods (continuum-upstream.md §2.5 `kube_deployment`):
 * pod = 1 Job with parallelism N; container = 1 Job whose pod has N containers;
 * file = N Jobs submitted one after another (as `kubectl apply -f <dir>` does);
 * call = N Jobs submitted by N concurrent calls.
 */
export function deploymentPlan(o: DeploymentOptions): DeploymentPlan {
  const labels = { [RUN_LABEL]: dnsLabel(o.runId), [DEPLOY_LABEL]: dnsLabel(o.benchId) };
  const container = (name: string): Record<string, unknown> => ({
    name,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy ?? 'Never',
    command: sleeperCommand(o.nodeBinary, o.sleepSeconds),
    resources: { requests: { cpu: cpuQuantity(o.cpu ?? 0.1), memory: `${o.memoryMiB ?? 32}Mi` } },
  });
  const job = (
    name: string,
    containers: Record<string, unknown>[],
    parallelism = 1,
  ): Record<string, unknown> => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      parallelism,
      completions: parallelism,
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          containers,
        },
      },
    },
  });
  const base = dnsLabel(`empty-${o.benchId}`, 50);
  switch (o.method) {
    case 'pod':
      return { jobs: [job(base, [container('app')], o.replicas)], parallel: false, instances: o.replicas };
    case 'container':
      return {
        jobs: [
          job(
            base,
            Array.from({ length: o.replicas }, (_, i) => container(`app-${i}`)),
          ),
        ],
        parallel: false,
        instances: o.replicas,
      };
    case 'file':
    case 'call':
      return {
        jobs: Array.from({ length: o.replicas }, (_, i) => job(`${base}-${i}`, [container('app')])),
        parallel: o.method === 'call',
        instances: o.replicas,
      };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface DeploymentResult {
  method: DeploymentMethod;
  rows: PodTiming[];
  summary: BreakdownSummary;
  warnings: string[];
  table: string;
  files: { csv: string; svg: string };
}

/** Deploys, observes until every instance logged its start line, computes the breakdown, cleans up. */
export async function runDeploymentBenchmark(
  client: KubeClient,
  o: DeploymentOptions,
  out: { dir: string; log: Logger; timeoutMs?: number; pollMs?: number },
): Promise<DeploymentResult> {
  const plan = deploymentPlan(o);
  const selector = `${DEPLOY_LABEL}=${dnsLabel(o.benchId)}`;
  const watch = new Map<string, WatchObservations>();
  const create = (body: Record<string, unknown>): Promise<unknown> =>
    client.batch.createNamespacedJob({ namespace: o.namespace, body: body });
  const start = Date.now();
  try {
    if (plan.parallel) await Promise.all(plan.jobs.map(create));
    else for (const j of plan.jobs) await create(j);
    const deadline = start + (out.timeoutMs ?? 600_000);
    let pods: PodLike[] = [];
    for (;;) {
      const list = await client.core.listNamespacedPod({ namespace: o.namespace, labelSelector: selector });
      pods = list.items;
      const now = Date.now();
      for (const p of pods) {
        const name = p.metadata?.name ?? '';
        const w = watch.get(name) ?? { created: now };
        if (w.scheduled === undefined && p.spec?.nodeName) w.scheduled = now;
        if (w.initialized === undefined && conditionTime(p, 'Initialized') !== undefined) w.initialized = now;
        if (
          w.started === undefined &&
          (p.status?.containerStatuses ?? []).some((c) => c.state?.running || c.state?.terminated)
        )
          w.started = now;
        watch.set(name, w);
      }
      const startedInstances = pods.reduce(
        (n, p) =>
          n +
          (p.status?.containerStatuses ?? []).filter((c) => c.state?.running || c.state?.terminated).length,
        0,
      );
      if (startedInstances >= plan.instances) break;
      if (now > deadline) {
        throw new ContinuumError(
          'K8S_DEPLOYMENT_TIMEOUT',
          `${o.method}: only ${startedInstances}/${plan.instances} instances started within ${Math.round((out.timeoutMs ?? 600_000) / 1000)} s.`,
        );
      }
      await sleep(out.pollMs ?? 200);
    }
    // Let every container print its start line, then read logs with the runtime's timestamps.
    await sleep(1000);
    const events = ((await client.events.listNamespacedEvent({ namespace: o.namespace })).items ??
      []) as SchedulerEvent[];
    const rows: PodTiming[] = [];
    for (const pod of pods) {
      for (const c of pod.spec?.containers ?? []) {
        const text = await client.core
          .readNamespacedPodLog({
            name: pod.metadata?.name ?? '',
            namespace: o.namespace,
            container: c.name,
            timestamps: true,
          })
          .then(String)
          .catch(() => '');
        const startLine = text.split('\n').find((l) => l.includes(START_MARKER));
        const appStart = startLine === undefined ? undefined : toMs(startLine.split(' ')[0] ?? '');
        rows.push(
          podTiming(
            {
              pod,
              container: c.name,
              events,
              watch: watch.get(pod.metadata?.name ?? '') ?? {},
              ...(appStart !== undefined ? { appStart } : {}),
            },
            start,
          ),
        );
      }
    }
    mkdirSync(out.dir, { recursive: true });
    const csv = join(out.dir, `deployment_${o.method}_${o.replicas}.csv`);
    const svg = join(out.dir, `deployment_${o.method}_${o.replicas}_breakdown.svg`);
    writeFileSync(csv, toCsv(rows));
    writeFileSync(
      svg,
      breakdownSvg(rows, `Deployment breakdown: ${o.replicas} sleeping pods, method ${o.method}`),
    );
    const warnings = monotonicityWarnings(rows);
    for (const w of warnings) out.log.warn(w);
    return {
      method: o.method,
      rows,
      summary: summarize(rows),
      warnings,
      table: formatTable(rows),
      files: { csv, svg },
    };
  } finally {
    for (const j of plan.jobs) {
      const name = (j['metadata'] as { name: string }).name;
      await client.batch
        .deleteNamespacedJob({ name, namespace: o.namespace, propagationPolicy: 'Background' })
        .catch(() => undefined);
    }
  }
}
