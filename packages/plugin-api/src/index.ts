export { API_VERSION, CAPABILITY_BRAND, type ApiVersion } from './version.js';
export { ContinuumError, isContinuumError, abortError, type ContinuumErrorShape } from './errors.js';
export { validateWithSchema, formatPath, type StandardSchemaV1, type ConfigIssue } from './schema.js';
export { createMemoryLogger, type Logger } from './log.js';
export * from './topology.js';
export * from './network.js';
export type * from './node.js';
export type * from './workload.js';
export type * from './results.js';
export type * from './clean.js';
export * from './capabilities.js';
export * from './stats.js';
export { createProcessRunner } from './process-runner.js';
export {
  componentNode,
  copyComponentFiles,
  waitForExit,
  type UnknownNodeWording,
} from './workload-helpers.js';
export { measureRttMatrix, parsePingRtts, rttToleranceMs, tierPairs } from './emulation-check.js';
export {
  createHostNode,
  isSameProcessRunning,
  processStartTime,
  stopHostProcess,
  type HostNodeOptions,
} from './host-node.js';
export { assertHostCanReach, hostRouteIsLocal } from './host-route.js';
export {
  freePort,
  isDaemonRunning,
  portIsFree,
  startDaemon,
  stopDaemon,
  waitHttpReady,
} from './host-daemon.js';
export {
  guestTcCommands,
  guestTcResetCommand,
  htbQuantum,
  netemArgs,
  parseRouteDevice,
  tcBatch,
  tierClass,
  type GuestTcInput,
} from './guest-tc.js';
export {
  commandLine,
  createSshNode,
  execChannel,
  hostKeyFingerprint,
  shellQuote,
  type SshChannelLike,
  type SshClientLike,
  type SshEndpoint,
  type SshNodeOptions,
  type SshSftpLike,
} from './ssh-node.js';
export { APP_METRIC_BUCKETS_S, createAppInstruments, type AppInstruments, type PromClientLike } from './app-metrics.js';
