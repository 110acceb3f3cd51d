import { isContinuumError } from '@continuum/plugin-api';

/**
 * Process exit codes. Config problems (fix the file, install a plugin) are told apart from runtime
 * failures (something broke while running) so scripts and CI can react differently.
 */
export const EXIT = {
  ok: 0,
  /** A phase failed, a plugin crashed, a lock or state problem. */
  runtime: 1,
  /** Invalid config, unknown capability, incompatible plugin, resume refused because the config changed. */
  config: 2,
  /** The run itself may have succeeded but teardown left something behind: run `continuum down <id>`. */
  teardown: 3,
  /** The pipeline ran but the benchmark is incomplete (a component or broker failed): partial results kept. */
  benchmark: 4,
  /** Interrupted by SIGINT/SIGTERM (128 + SIGINT). */
  interrupted: 130,
} as const;

/** Error codes that mean "fix your config or your installed plugins", mapped to EXIT.config. */
const CONFIG_CODES = new Set([
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'CONFIG_LOAD',
  'LEGACY_CONFIG',
  'UNKNOWN_CAPABILITY',
  'PLUGIN_API_VERSION',
  'PLUGIN_ENTRY_INVALID',
  'RESUME_CONFIG_CHANGED',
]);

export function exitCodeFor(error: unknown): number {
  if (isContinuumError(error)) {
    if (CONFIG_CODES.has(error.code) || error.code.startsWith('CONFIG_')) return EXIT.config;
    if (error.code === 'TEARDOWN_FAILED') return EXIT.teardown;
    if (error.code === 'INTERRUPTED') return EXIT.interrupted;
    if (error.code === 'BENCHMARK_INCOMPLETE') return EXIT.benchmark;
  }
  return EXIT.runtime;
}
