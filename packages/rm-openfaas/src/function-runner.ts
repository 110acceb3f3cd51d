import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ContinuumError,
  componentNode,
  copyComponentFiles,
  waitForExit,
  type ComponentSpec,
  type LogLine,
  type Node,
  type StatusChange,
  type Workload,
  type WorkloadExit,
  type WorkloadRunner,
} from '@continuum/plugin-api';
import {
  NODE_LABEL,
  kubectlStatus,
  parseTimestampedLog,
  stuckReason,
  type KubeClient,
  type PodLike,
} from '@continuum/rm-kubernetes';
import { FUNCTION_NAMESPACE, functionManifests } from './manifests.js';

export interface FunctionRunnerOptions {
  client: () => Promise<KubeClient>;
  runId: string;
  nodes: readonly Node[];
  logDir: string;
  ensureImage: (node: Node) => Promise<string>;
  /** Gateway base URL as endpoints reach it, e.g. http://192.168.100.11:31112. */
  gatewayUrl: string;
  /** Function name for a component (upstream: `image` for image-classification). */
  functionName: (spec: ComponentSpec) => string;
  pollIntervalMs?: number;
  startTimeoutMs?: number;
  stuckGraceMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Worker components become OpenFaaS functions on their node. A function serves until stopped, so
 * `wait()` resolves when `stop()` removes it (succeeded) or when its pod fails or never becomes Ready.
 */
export function createFunctionRunner(o: FunctionRunnerOptions): WorkloadRunner {
  const byName = new Map(o.nodes.map((n) => [n.name, n]));
  const interval = o.pollIntervalMs ?? 1000;
  return {
    name: 'openfaas',
    async run(spec: ComponentSpec): Promise<Workload> {
      const node = componentNode(byName, spec, {
        noun: 'Function',
        because: 'which is not a Kubernetes worker',
        listLabel: 'Workers',
      });
      await copyComponentFiles(node, spec);
      const image = spec.image ?? (await o.ensureImage(node));
      const [deployment, service] = functionManifests(spec, {
        runId: o.runId,
        functionName: o.functionName(spec),
        image,
        imagePullPolicy: spec.image === undefined ? 'Never' : 'IfNotPresent',
        hostPaths: (spec.files ?? []).map((f) => (node.sharesHostFilesystem ? f.from : f.to)),
        nodeSelector: { [NODE_LABEL]: node.name },
      }) as [Record<string, unknown>, Record<string, unknown>];
      const name = (deployment['metadata'] as { name: string }).name;
      const client = await o.client();
      const requested = Date.now();
      try {
        await client.apps.createNamespacedDeployment({ namespace: FUNCTION_NAMESPACE, body: deployment });
        await client.core.createNamespacedService({ namespace: FUNCTION_NAMESPACE, body: service });
      } catch (error) {
        throw new ContinuumError(
          'OPENFAAS_DEPLOY_FAILED',
          `Could not deploy function ${name}: ${(error as Error).message.slice(0, 800)}`,
          { cause: error },
        );
      }
      const url = `${o.gatewayUrl.replace(/\/$/, '')}/function/${name}`;
      const timeline: StatusChange[] = [{ time: requested, phase: 'pending', reason: 'function deployed' }];
      const lines: LogLine[] = [];
      const listeners: ((l: LogLine) => void)[] = [];
      const logFile = join(o.logDir, `${spec.name}.log`);
      mkdirSync(o.logDir, { recursive: true });
      let stopped = false;
      let lastStatus = '';
      const exit: Promise<WorkloadExit> = (async (): Promise<WorkloadExit> => {
        let stuckSince: number | undefined;
        let ready = false;
        while (!stopped) {
          const now = Date.now();
          const pods = await client.core
            .listNamespacedPod({ namespace: FUNCTION_NAMESPACE, labelSelector: `faas_function=${name}` })
            .catch(() => ({ items: [] }));
          const pod = pods.items[0] as PodLike | undefined;
          if (pod !== undefined) {
            const readyNow =
              pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
            const status = readyNow ? 'Ready' : kubectlStatus(pod);
            if (status !== lastStatus) {
              lastStatus = status;
              timeline.push({
                time: now,
                phase: readyNow ? 'running' : pod.status?.phase === 'Failed' ? 'failed' : 'pending',
                reason: status,
              });
            }
            ready ||= readyNow;
            if (pod.status?.phase !== 'Pending') {
              const text = await client.core
                .readNamespacedPodLog({
                  name: pod.metadata?.name ?? '',
                  namespace: FUNCTION_NAMESPACE,
                  timestamps: true,
                })
                .then(String)
                .catch(() => '');
              for (const e of parseTimestampedLog(text).slice(lines.length)) {
                const l: LogLine = { time: e.time, stream: 'stdout', line: e.line };
                lines.push(l);
                appendFileSync(logFile, `${new Date(l.time).toISOString()} ${l.line}\n`);
                for (const f of listeners) f(l);
              }
            }
            if (pod.status?.phase === 'Failed')
              return {
                phase: 'failed',
                exitCode: pod.status.containerStatuses?.[0]?.state?.terminated?.exitCode ?? null,
                reason: 'function pod failed',
              };
            const stuck = stuckReason(pod);
            stuckSince = stuck === undefined ? undefined : (stuckSince ?? now);
            if (stuck !== undefined && now - (stuckSince ?? now) > (o.stuckGraceMs ?? 60_000))
              return { phase: 'failed', exitCode: null, reason: `function ${name} cannot start: ${stuck}` };
          }
          if (!ready && now - requested > (o.startTimeoutMs ?? 600_000))
            return {
              phase: 'failed',
              exitCode: null,
              reason: `function ${name} never became Ready (last status ${lastStatus || 'no pod'})`,
            };
          await sleep(interval);
        }
        return { phase: 'succeeded', exitCode: 0, reason: 'stopped' };
      })().then((r) => {
        timeline.push({
          time: Date.now(),
          phase: r.phase,
          ...(r.reason !== undefined ? { reason: r.reason } : {}),
        });
        return r;
      });
      return {
        ref: {
          runner: 'openfaas',
          name: spec.name,
          node: node.name,
          data: { function: name, namespace: FUNCTION_NAMESPACE, url, image },
        },
        wait: (opts = {}) => waitForExit(exit, opts, { component: spec.name, subject: `Function ${name}` }),
        async stop() {
          stopped = true;
          await client.apps
            .deleteNamespacedDeployment({ name, namespace: FUNCTION_NAMESPACE })
            .catch(() => undefined);
          await client.core
            .deleteNamespacedService({ name, namespace: FUNCTION_NAMESPACE })
            .catch(() => undefined);
        },
        logs: () => Promise.resolve([...lines]),
        onLine: (l) => void listeners.push(l),
        timeline: () => [...timeline],
      };
    },
  };
}
