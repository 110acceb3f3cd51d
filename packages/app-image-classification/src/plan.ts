import type { Mode } from '@continuum/plugin-api';

/** Pure planning rules, kept apart from the I/O so they can be tested on their own. */

/** `auto` follows the topology (upstream: edge if there are edge nodes, else cloud, else endpoint). */
export function resolveMode(option: 'auto' | 'serverless' | Mode, topologyMode: Mode): Mode {
  if (option === 'serverless') return 'cloud';
  return option === 'auto' ? topologyMode : option;
}

/**
 * Serverless (upstream's OpenFaaS execution model): asked for, or picked automatically when the
 * workloads go through the openfaas resource manager (its runner, or its cluster output's gateway).
 */
export function isServerless(
  option: 'auto' | 'serverless' | Mode,
  runnerName: string | undefined,
  cluster?: unknown,
): boolean {
  if (option === 'serverless') return true;
  if (option !== 'auto') return false;
  if (runnerName === 'openfaas') return true;
  const gateway =
    typeof cluster === 'object' && cluster !== null
      ? (cluster as Record<string, unknown>)['gateway']
      : undefined;
  return typeof gateway === 'object' && gateway !== null && 'functionUrlTemplate' in gateway;
}

/**
 * Upstream attaches endpoint j to worker `j // (endpoints / workers)`. Computed exactly with
 * integers (floor(j * workers / endpoints)) so float rounding never moves an endpoint.
 */
export function assignWorker(endpointIndex: number, endpoints: number, workers: number): number {
  if (workers <= 0 || endpoints <= 0) throw new RangeError('need at least one endpoint and one worker');
  return Math.floor((endpointIndex * workers) / endpoints);
}

export function assignAll(endpoints: number, workers: number): number[] {
  return Array.from({ length: endpoints }, (_, j) => assignWorker(j, endpoints, workers));
}

/** Upstream's CPU_THREADS = max(1, int(worker_cpu)): fractions round down, never to 0. */
export function threadsFor(cpu: number): number {
  return Math.max(1, Math.floor(cpu));
}

/** Upstream default application_worker_cpu: worker tier cores - 0.5 (never below 0.5 here). */
export function defaultWorkerCpu(tierCores: number): number {
  return Math.max(0.5, tierCores - 0.5);
}

/** Upstream default application_worker_memory: tier memory - 0.5 GB, in GB. */
export function defaultWorkerMemoryGb(tierMemoryMiB: number): number {
  return Math.max(0.25, tierMemoryMiB / 1024 - 0.5);
}

/** Seconds an endpoint waits for outstanding replies after its last image. */
export function replyTimeoutFor(duration: number, option?: number): number {
  return option ?? Math.max(10, duration);
}
