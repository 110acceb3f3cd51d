import type { NodeLimits, Role, Tier } from './topology.js';

/**
 * What a provider records about a node: plain JSON, written to the run's state so that a new
 * process (`continuum bench`, `continuum down`) can re-attach to it.
 */
export interface NodeInfo {
  name: string;
  tier: Tier;
  role: Role;
  /** Address other nodes reach this node at (emulated links apply to it). */
  address: string;
  limits: NodeLimits;
  /** How a person reaches the node, shown by `continuum status`. */
  access: NodeAccess;
  /** True when the node sees the host's filesystem (netns or plain-process nodes): files need no copy. */
  sharesHostFilesystem: boolean;
  /** Provider-specific facts (netns name, VM id, ssh port …). */
  details?: Record<string, unknown>;
}

export type NodeAccess =
  | { kind: 'netns'; namespace: string; shell: string }
  | { kind: 'ssh'; user: string; host: string; port: number; keyFile: string; shell: string }
  | { kind: 'process'; shell: string };

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the command's stdin. */
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Reject on a non-zero exit (default true). */
  check?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Host path that receives stdout and stderr. */
  logFile: string;
  /**
   * Detached processes outlive the CLI process (daemons such as brokers) and are stopped later by
   * `Node.stop(ref)`, possibly from another process. Attached ones are tied to this process and
   * their output lines are delivered to `onLine` as they come.
   */
  detached?: boolean;
  onLine?: (line: string, stream: 'stdout' | 'stderr', time: number) => void;
  /** Apply the node's CPU/memory limits to the process (default true). */
  limited?: boolean;
}

/** A reference to a spawned process that survives serialisation into the state file. */
export interface ProcessRef {
  node: string;
  pid: number;
  /** Process start time as the node's kernel reports it, to avoid killing a recycled PID. */
  startTime?: string;
  logFile: string;
  command: string[];
  details?: Record<string, unknown>;
}

export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
}

export interface SpawnedProcess {
  readonly ref: ProcessRef;
  /** Resolves when the process exits (only for processes spawned by this process). */
  wait(): Promise<ProcessExit>;
}

/**
 * A live node handle, built by the provider from its NodeInfo. Other plugins use only this: it is
 * the same whether the node is a network namespace, a plain process on the host or a VM over ssh.
 */
export interface Node extends NodeInfo {
  exec(command: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Copy a host file or directory onto the node. */
  copy(localPath: string, remotePath: string): Promise<void>;
  /** Copy a file from the node to the host. */
  fetch(remotePath: string, localPath: string): Promise<void>;
  spawn(command: readonly string[], options: SpawnOptions): Promise<SpawnedProcess>;
  /** SIGTERM, then SIGKILL after `graceMs`. Safe to call on a process that is already gone. */
  stop(ref: ProcessRef, options?: { graceMs?: number }): Promise<void>;
  isRunning(ref: ProcessRef): Promise<boolean>;
  /** Close connections (ssh); the node itself keeps running. */
  dispose?(): Promise<void>;
}
