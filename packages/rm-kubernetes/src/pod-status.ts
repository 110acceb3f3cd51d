import type { StatusChange, WorkloadPhase } from '@continuum/plugin-api';

/** The parts of a v1 Pod this module reads (kubectl get pod -o json / the API's JSON). */
export interface PodLike {
  metadata?: { name?: string; creationTimestamp?: string | Date; labels?: Record<string, string> };
  spec?: { nodeName?: string; containers?: { name: string }[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    startTime?: string | Date;
    conditions?: {
      type: string;
      status: string;
      lastTransitionTime?: string | Date;
      reason?: string;
      message?: string;
    }[];
    containerStatuses?: ContainerStatusLike[];
  };
}

export interface ContainerStatusLike {
  name: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string | Date };
    terminated?: { exitCode: number; reason?: string; startedAt?: string | Date; finishedAt?: string | Date };
  };
}

/** API timestamps arrive as RFC 3339 strings (JSON) or Date objects (client-node): epoch ms either way. */
export function toMs(value: string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  // Keep MicroTime / RFC3339Nano digits beyond the millisecond that Date.parse drops.
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value.trim());
  if (m === null) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const base = Date.parse(`${m[1]}${m[3]}`);
  return Number.isNaN(base) ? undefined : base + (m[2] === undefined ? 0 : Number(`0.${m[2]}`) * 1000);
}

export function conditionTime(pod: PodLike, type: string): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === type && x.status === 'True');
  return toMs(c?.lastTransitionTime);
}

/** Upstream's pod states as `kubectl get pods` prints them: Pending, ContainerCreating, Running, Succeeded, … */
export function kubectlStatus(pod: PodLike): string {
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting !== undefined)?.state?.waiting
    ?.reason;
  const phase = pod.status?.phase ?? 'Pending';
  if (phase === 'Pending' && waiting !== undefined) return waiting;
  if (phase === 'Failed' || phase === 'Succeeded') {
    const term = pod.status?.containerStatuses?.[0]?.state?.terminated?.reason;
    return phase === 'Failed' && term !== undefined ? term : phase === 'Succeeded' ? 'Succeeded' : 'Error';
  }
  return phase;
}

/** Problems that mean "this pod will never start on its own": reported instead of waiting forever. */
export const STUCK_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export function stuckReason(pod: PodLike): string | undefined {
  for (const c of pod.status?.containerStatuses ?? []) {
    const w = c.state?.waiting;
    if (w?.reason !== undefined && STUCK_REASONS.has(w.reason))
      return `${w.reason}${w.message ? `: ${w.message}` : ''}`;
  }
  const unsched = pod.status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
  return unsched !== undefined ? `Unschedulable: ${unsched.message ?? ''}` : undefined;
}

/** The workload status timeline from a pod's own timestamps (creation, scheduling, start, end). */
export function timelineFromPod(pod: PodLike): StatusChange[] {
  const out: StatusChange[] = [];
  const push = (time: number | undefined, phase: WorkloadPhase, reason?: string): void => {
    if (time !== undefined) out.push({ time, phase, ...(reason !== undefined ? { reason } : {}) });
  };
  push(toMs(pod.metadata?.creationTimestamp), 'pending', 'created');
  push(conditionTime(pod, 'PodScheduled'), 'pending', `scheduled on ${pod.spec?.nodeName ?? '?'}`);
  const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
  const running = pod.status?.containerStatuses?.[0]?.state?.running;
  push(toMs(running?.startedAt ?? term?.startedAt), 'running');
  if (pod.status?.phase === 'Succeeded') push(toMs(term?.finishedAt), 'succeeded');
  if (pod.status?.phase === 'Failed')
    push(
      toMs(term?.finishedAt) ?? Date.now(),
      'failed',
      term?.reason ?? pod.status.reason ?? `exit code ${term?.exitCode ?? '?'}`,
    );
  return out.sort((a, b) => a.time - b.time);
}
