/**
 * The workload runner: how an application runs its components (workers, endpoints) without
 * knowing whether they become plain processes, Docker containers, Kubernetes Jobs or functions.
 * A resource manager returns one; without one, the core uses `createProcessRunner`.
 */
export interface FileToDeliver {
  /** Host path (file or directory). */
  from: string;
  /** Path on the node; ignored for nodes that share the host filesystem. */
  to: string;
}

export interface ComponentSpec {
  /** Unique within the run: `worker-cloud0`, `endpoint3`. */
  name: string;
  /** NodeInfo.name the component runs on. */
  node: string;
  /** Process runners run this; container runners use it as the container command. */
  command: string[];
  /** Container image for container-based runners. */
  image?: string;
  env?: Record<string, string>;
  /** CPU request/limit in cores (fractions allowed, never truncated). */
  cpu?: number;
  memoryMiB?: number;
  /** Files the command needs on the node. */
  files?: FileToDeliver[];
  labels?: Record<string, string>;
}

export interface LogLine {
  /** Epoch milliseconds when the line was seen. */
  time: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

export type WorkloadPhase = 'pending' | 'running' | 'succeeded' | 'failed' | 'unknown';

export interface StatusChange {
  time: number;
  phase: WorkloadPhase;
  reason?: string;
}

export interface WorkloadRef {
  runner: string;
  name: string;
  node: string;
  data: Record<string, unknown>;
}

export interface WorkloadExit {
  phase: 'succeeded' | 'failed';
  exitCode: number | null;
  reason?: string;
}

export interface Workload {
  readonly ref: WorkloadRef;
  wait(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<WorkloadExit>;
  stop(): Promise<void>;
  /** All lines so far, with timestamps (like `docker logs -t`). */
  logs(): Promise<LogLine[]>;
  /** Called for every line as it arrives, when the runner can stream. */
  onLine(listener: (line: LogLine) => void): void;
  timeline(): StatusChange[];
}

export interface WorkloadRunner {
  readonly name: string;
  run(spec: ComponentSpec, options?: { signal?: AbortSignal }): Promise<Workload>;
}
