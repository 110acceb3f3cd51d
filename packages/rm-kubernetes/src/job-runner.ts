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
import { parseTimestampedLine } from '@continuum/rm-docker';
import type { KubeClient } from './k8s.js';
import { NODE_LABEL, jobManifest, type PodExtras } from './manifests.js';
import { kubectlStatus, stuckReason, timelineFromPod, type PodLike } from './pod-status.js';

export interface JobRecord {
  namespace: string;
  name: string;
}

export interface JobRunnerOptions {
  client: () => Promise<KubeClient>;
  runId: string;
  namespace: string;
  nodes: readonly Node[];
  logDir: string;
  ensureImage: (node: Node) => Promise<string>;
  record: (job: JobRecord) => Promise<void>;
  pollIntervalMs?: number;
  /** A pod that has not started its container by then fails the workload (never waits forever). */
  startTimeoutMs?: number;
  /** How long a pod may sit in ErrImagePull/Unschedulable … before it is declared failed. */
  stuckGraceMs?: number;
  /** Extra pod settings (kubeedge adds tolerations and host networking for edge nodes). */
  pod?: PodExtras;
  runnerName?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Splits `kubectl logs --timestamps` text into timed lines. */
export function parseTimestampedLog(text: string): { time: number; line: string }[] {
  const out: { time: number; line: string }[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const p = parseTimestampedLine(raw);
    out.push(p ?? { time: Date.now(), line: raw });
  }
  return out;
}

/** Components on Kubernetes nodes as Jobs (upstream's worker Jobs), one pod each, pinned to the node. */
export function createJobRunner(options: JobRunnerOptions): WorkloadRunner {
  const byName = new Map(options.nodes.map((n) => [n.name, n]));
  const interval = options.pollIntervalMs ?? 1000;
  return {
    name: options.runnerName ?? 'kubernetes',
    async run(spec: ComponentSpec): Promise<Workload> {
      const node = componentNode(byName, spec, {
        because: 'which is not a Kubernetes node',
        listLabel: 'Kubernetes nodes',
      });
      await copyComponentFiles(node, spec);
      const image = spec.image ?? (await options.ensureImage(node));
      const hostPaths = (spec.files ?? []).map((f) => (node.sharesHostFilesystem ? f.from : f.to));
      const manifest = jobManifest(spec, {
        runId: options.runId,
        namespace: options.namespace,
        image,
        imagePullPolicy: spec.image === undefined ? 'Never' : 'IfNotPresent',
        hostPaths,
        nodeSelector: { [NODE_LABEL]: node.name },
        ...options.pod,
      });
      const name = (manifest['metadata'] as { name: string }).name;
      const client = await options.client();
      await options.record({ namespace: options.namespace, name });
      const requested = Date.now();
      try {
        await client.batch.createNamespacedJob({ namespace: options.namespace, body: manifest });
      } catch (error) {
        throw new ContinuumError(
          'K8S_JOB_CREATE_FAILED',
          `Could not create Job ${name} for ${spec.name}: ${(error as Error).message.slice(0, 800)}`,
          { cause: error },
        );
      }
      const timeline: StatusChange[] = [{ time: requested, phase: 'pending', reason: 'Job created' }];
      const lines: LogLine[] = [];
      const listeners: ((l: LogLine) => void)[] = [];
      const logFile = join(options.logDir, `${spec.name}.log`);
      mkdirSync(options.logDir, { recursive: true });
      let lastStatus = '';
      let podTimeline: StatusChange[] = [];
      let stopped = false;
      const pullLogs = async (pod: string): Promise<void> => {
        try {
          const text = await client.core.readNamespacedPodLog({
            name: pod,
            namespace: options.namespace,
            timestamps: true,
          });
          const all = parseTimestampedLog(String(text));
          for (const entry of all.slice(lines.length)) {
            const l: LogLine = { time: entry.time, stream: 'stdout', line: entry.line };
            lines.push(l);
            appendFileSync(logFile, `${new Date(l.time).toISOString()} ${l.line}\n`);
            for (const f of listeners) f(l);
          }
        } catch {
          // container not started yet, or already garbage-collected
        }
      };
      const exit: Promise<WorkloadExit> = (async (): Promise<WorkloadExit> => {
        let stuckSince: number | undefined;
        for (;;) {
          if (stopped) return { phase: 'failed', exitCode: null, reason: 'stopped' };
          let pod: PodLike | undefined;
          try {
            const pods = await client.core.listNamespacedPod({
              namespace: options.namespace,
              labelSelector: `job-name=${name}`,
            });
            pod = pods.items[0];
          } catch {
            pod = undefined;
          }
          const now = Date.now();
          if (pod !== undefined) {
            const status = kubectlStatus(pod);
            if (status !== lastStatus) {
              lastStatus = status;
              timeline.push({
                time: now,
                phase:
                  status === 'Running'
                    ? 'running'
                    : status === 'Succeeded'
                      ? 'succeeded'
                      : pod.status?.phase === 'Failed'
                        ? 'failed'
                        : 'pending',
                reason: status,
              });
            }
            podTimeline = timelineFromPod(pod);
            if (pod.status?.phase !== 'Pending') await pullLogs(pod.metadata?.name ?? '');
            const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
            if (pod.status?.phase === 'Succeeded')
              return { phase: 'succeeded', exitCode: term?.exitCode ?? 0 };
            if (pod.status?.phase === 'Failed')
              return {
                phase: 'failed',
                exitCode: term?.exitCode ?? null,
                reason: term?.reason ?? pod.status.reason ?? 'Failed',
              };
            const stuck = stuckReason(pod);
            stuckSince = stuck === undefined ? undefined : (stuckSince ?? now);
            if (stuck !== undefined && now - (stuckSince ?? now) > (options.stuckGraceMs ?? 60_000)) {
              return {
                phase: 'failed',
                exitCode: null,
                reason: `pod ${pod.metadata?.name ?? ''} cannot start: ${stuck}`,
              };
            }
          }
          if (lastStatus !== 'Running' && now - requested > (options.startTimeoutMs ?? 600_000)) {
            return {
              phase: 'failed',
              exitCode: null,
              reason: `never started within ${Math.round((options.startTimeoutMs ?? 600_000) / 1000)} s (last status ${lastStatus || 'no pod'})`,
            };
          }
          await sleep(interval);
        }
      })().then((r) => {
        if (r.phase === 'failed' && timeline.at(-1)?.phase !== 'failed')
          timeline.push({
            time: Date.now(),
            phase: 'failed',
            ...(r.reason !== undefined ? { reason: r.reason } : {}),
          });
        return r;
      });
      return {
        ref: {
          runner: options.runnerName ?? 'kubernetes',
          name: spec.name,
          node: node.name,
          data: { job: name, namespace: options.namespace, image },
        },
        wait: (opts = {}) =>
          waitForExit(exit, opts, { component: spec.name, subject: `Job ${name} (${spec.name})` }),
        async stop() {
          stopped = true;
          await client.batch
            .deleteNamespacedJob({ name, namespace: options.namespace, propagationPolicy: 'Background' })
            .catch(() => undefined);
        },
        logs: () => Promise.resolve([...lines]),
        onLine: (l) => void listeners.push(l),
        // Observed transitions (ms) merged with the pod's own API stamps (s).
        timeline: () =>
          [...timeline, ...podTimeline.filter((p) => p.reason !== 'created')].sort((a, b) => a.time - b.time),
      };
    },
  };
}

/** Routes each component: endpoints to the docker runner (upstream), everything else to `main`. */
export function createSplitRunner(
  main: WorkloadRunner,
  endpoints: WorkloadRunner,
  isEndpoint: (node: string) => boolean,
): WorkloadRunner {
  return {
    name: main.name,
    run: (spec, opts) => (isEndpoint(spec.node) ? endpoints.run(spec, opts) : main.run(spec, opts)),
  };
}
