import { readFileSync, rmSync } from 'node:fs';
import type { PluginManifest } from '../capabilities.js';
import { capabilityContract, type ContractCase } from './contracts.js';
import { createTestContext } from './context.js';

/**
 * The capability contract of the plugin package at `pkgRoot` (its package.json `continuum`
 * manifest, entries imported by their declared paths, teardown called in a fresh test context).
 * Call `cleanup` after the cases ran (afterAll) to remove the contexts' run directories.
 */
export function packageContract(
  pkgRoot: URL,
  options: {
    /** A valid options object per capability name (default {}). */
    validOptions?: Record<string, unknown>;
    /** Runs before each entry is imported, e.g. to fail clearly when the package is not built. */
    beforeLoad?: () => void;
  } = {},
): { cases: ContractCase[]; cleanup: () => void } {
  const manifest = (
    JSON.parse(readFileSync(new URL('package.json', pkgRoot), 'utf8')) as { continuum: PluginManifest }
  ).continuum;
  const runDirs: string[] = [];
  const cases = capabilityContract({
    manifest,
    load: (entry) => {
      options.beforeLoad?.();
      return import(new URL(entry, pkgRoot).href) as Promise<Record<string, unknown>>;
    },
    makeContext: () => {
      const ctx = createTestContext({ config: {} });
      runDirs.push(ctx.run.dir);
      return ctx;
    },
    ...(options.validOptions !== undefined ? { validOptions: options.validOptions } : {}),
  });
  return {
    cases,
    cleanup: () => runDirs.forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}
