import type { ApiVersion } from './version.js';
import { API_VERSION, CAPABILITY_BRAND } from './version.js';
import type { Logger } from './log.js';
import type { StandardSchemaV1 } from './schema.js';
import type { Node, NodeInfo } from './node.js';
import type { Topology } from './topology.js';
import type { WorkloadRunner } from './workload.js';
import type { BenchmarkResult, EmulationReport, MonitorResult } from './results.js';
import type { CleanOptions, CleanResult } from './clean.js';

export type Kind = 'provider' | 'operating-service' | 'resource-manager' | 'monitor' | 'application';
/** Pipeline order; teardown runs in reverse. */
export const KIND_ORDER: readonly Kind[] = [
  'provider',
  'operating-service',
  'resource-manager',
  'monitor',
  'application',
];

export type Phase = 'validate' | 'plan' | 'provision' | 'install' | 'benchmark' | 'collect' | 'teardown';
export const PHASES: readonly Phase[] = [
  'validate',
  'plan',
  'provision',
  'install',
  'benchmark',
  'collect',
  'teardown',
];

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface RunInfo {
  id: string;
  /** Absolute path of `.continuum/runs/<id>/`. */
  dir: string;
  startedAt: string;
  /** The config file the run came from. */
  configPath: string | undefined;
}

export interface HostInfo {
  isRoot: boolean;
  cores: number;
  memoryMiB: number;
  platform: string;
}

/** The blob a plugin persists in the run's write-ahead state file. JSON only. */
export interface StateStore<S> {
  get(): S | undefined;
  /** Atomically written before returning: set it BEFORE creating a resource, so teardown finds it after a crash. */
  set(state: S): Promise<void>;
}

/** What earlier steps produced, as stored in the state file. */
export interface Outputs {
  infrastructure: Infrastructure | undefined;
  /** By operating-service name, e.g. `mqtt`. */
  services: Record<string, Json>;
  /** Output of the resource manager, if one is selected. */
  cluster: Json | undefined;
}

export interface Infrastructure {
  provider: string;
  nodes: NodeInfo[];
  emulation: EmulationReport;
  /** Provider-specific JSON (bridge name, acceleration used …) shown in results. */
  details: Record<string, Json>;
}

export interface Context<Cfg = unknown, State = unknown> {
  /** This capability's validated `options`. */
  readonly config: Cfg;
  readonly topology: Topology;
  readonly run: RunInfo;
  readonly host: HostInfo;
  readonly log: Logger;
  /** Aborted on Ctrl-C or when the phase's timeout expires. Pass it on to long operations. */
  readonly signal: AbortSignal;
  readonly state: StateStore<State>;
  /** Per-capability scratch directory inside the run directory, already created. */
  readonly workDir: string;
  /** Live nodes once the provider has provisioned them (empty before). */
  readonly nodes: readonly Node[];
  readonly outputs: Outputs;
  /** The runner workloads go through: the resource manager's, or the built-in process runner. */
  readonly runner: WorkloadRunner | undefined;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Dotted config path the diagnostic is about, relative to the config root. */
  path?: string;
  message: string;
  hint?: string;
}

/** One line of `continuum plan`. */
export interface PlanItem {
  /** What will be created: `netns`, `bridge`, `vm`, `broker`, `job` … */
  resource: string;
  name: string;
  details?: Record<string, string | number | boolean>;
}

export interface PhaseEvent {
  phase: Phase;
  when: 'before' | 'after';
  time: number;
  runId: string;
  error?: string;
}

interface CapabilityBase<K extends Kind, Cfg, State> {
  readonly $$type: typeof CAPABILITY_BRAND;
  readonly apiVersion: ApiVersion;
  readonly kind: K;
  /** The name users select with `use:`; must match the package.json declaration. */
  readonly name: string;
  readonly description?: string;
  /** Validates this capability's `options` section. Absent: options must be empty. */
  readonly configSchema?: StandardSchemaV1<unknown, Cfg>;
  /** JSON Schema of the options for editors (`continuum config schema`). */
  readonly jsonSchema?: () => Record<string, unknown>;
  /** Version of the state blob. Bump it and implement upgradeState when its shape changes. */
  readonly stateVersion?: number;
  upgradeState?(old: unknown, fromVersion: number): State;
  /** Checks without side effects (binaries present, quotas, node-count rules). */
  validate?(ctx: Context<Cfg, State>): Promise<Diagnostic[]>;
  plan?(ctx: Context<Cfg, State>): Promise<PlanItem[]>;
  /** Idempotent; must work from `ctx.state` alone, after a crash, in a new process. */
  teardown(ctx: Context<Cfg, State>): Promise<void>;
  /** Observer of phase events (monitors timestamp the benchmark window with it). Cannot veto. */
  onPhase?(ctx: Context<Cfg, State>, event: PhaseEvent): Promise<void>;
}

export interface Provider<Cfg = unknown, State = unknown> extends CapabilityBase<'provider', Cfg, State> {
  provision(ctx: Context<Cfg, State>): Promise<Infrastructure>;
  /** Live handles for recorded nodes; called after provision and again by later processes. */
  attach(ctx: Context<Cfg, State>, infrastructure: Infrastructure): Promise<Node[]>;
  /**
   * Optional: find and remove leftovers without a state file (`continuum clean --provider <name>`),
   * by the run id / tag in names and labels. `ctx.state` may be empty.
   */
  clean?(ctx: Context<Cfg, State>, options: CleanOptions): Promise<CleanResult>;
}

export interface OperatingService<Cfg = unknown, State = unknown> extends CapabilityBase<
  'operating-service',
  Cfg,
  State
> {
  /** Returns what consumers need (e.g. broker address per node), stored as outputs.services[name]. */
  install(ctx: Context<Cfg, State>): Promise<Json>;
}

export interface ResourceManager<Cfg = unknown, State = unknown> extends CapabilityBase<
  'resource-manager',
  Cfg,
  State
> {
  /** Whether the first cloud node becomes a control-plane-only `cloud_controller` (upstream's rule). */
  readonly usesController: boolean;
  install(ctx: Context<Cfg, State>): Promise<Json>;
  runner(ctx: Context<Cfg, State>, cluster: Json): WorkloadRunner;
}

export interface Monitor<Cfg = unknown, State = unknown> extends CapabilityBase<'monitor', Cfg, State> {
  install(ctx: Context<Cfg, State>): Promise<Json>;
  collect(ctx: Context<Cfg, State>, window: { start: number; end: number }): Promise<MonitorResult>;
}

export interface Application<Cfg = unknown, State = unknown> extends CapabilityBase<
  'application',
  Cfg,
  State
> {
  /** Preparation that must happen before the clock starts (models, bundles, images). */
  deploy?(ctx: Context<Cfg, State>): Promise<void>;
  benchmark(ctx: Context<Cfg, State>): Promise<BenchmarkResult>;
}

export type Capability = Provider | OperatingService | ResourceManager | Monitor | Application;

type Definition<T> = Omit<T, '$$type' | 'apiVersion' | 'kind'>;

export function defineProvider<C, S>(def: Definition<Provider<C, S>>): Provider<C, S> {
  return { ...def, $$type: CAPABILITY_BRAND, apiVersion: API_VERSION, kind: 'provider' };
}
export function defineOperatingService<C, S>(
  def: Definition<OperatingService<C, S>>,
): OperatingService<C, S> {
  return { ...def, $$type: CAPABILITY_BRAND, apiVersion: API_VERSION, kind: 'operating-service' };
}
export function defineResourceManager<C, S>(def: Definition<ResourceManager<C, S>>): ResourceManager<C, S> {
  return { ...def, $$type: CAPABILITY_BRAND, apiVersion: API_VERSION, kind: 'resource-manager' };
}
export function defineMonitor<C, S>(def: Definition<Monitor<C, S>>): Monitor<C, S> {
  return { ...def, $$type: CAPABILITY_BRAND, apiVersion: API_VERSION, kind: 'monitor' };
}
export function defineApplication<C, S>(def: Definition<Application<C, S>>): Application<C, S> {
  return { ...def, $$type: CAPABILITY_BRAND, apiVersion: API_VERSION, kind: 'application' };
}

/** Structural check used by the core on every imported entry. */
export function isCapability(value: unknown): value is Capability {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['$$type'] === CAPABILITY_BRAND && typeof v['kind'] === 'string' && typeof v['name'] === 'string';
}

/** The `continuum` field of a plugin's package.json. */
export interface PluginManifest {
  apiVersion: number;
  capabilities: { kind: Kind; name: string; entry: string; description?: string }[];
}
