/**
 * @continuum/core: the CLI's engine, exported for tests and tooling. Plugins never import this
 * package (they use @continuum/plugin-api only).
 */
export { configSchema, type ContinuumConfig } from './engine/config-schema.js';
export { EXIT, exitCodeFor } from './engine/exit-codes.js';
export {
  Registry,
  type CapabilityEntry,
  type PluginLike,
  SUPPORTED_API_VERSIONS,
} from './engine/registry.js';
export { StateFile, type RunState, type StepRecord } from './engine/state.js';
export { RunLock } from './engine/lock.js';
export { newRunId } from './engine/run-id.js';
export { resolveTopology } from './engine/topology.js';
export type { PhaseHookOptions } from './base-command.js';
export { runConfig, type RunConfigOptions, type RunConfigResult } from './api.js';
export type { ResultsDocument, PhaseTiming } from './engine/report.js';
