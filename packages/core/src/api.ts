import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PhaseHookOptions } from './base-command.js';
import type { ResultsDocument } from './engine/report.js';

export interface RunConfigOptions {
  /** Config file (.yaml, .json, .ts, .cfg). */
  config: string;
  /** Base run directory (default ./.continuum). */
  runDir?: string;
  /** Keep the infrastructure afterwards (default: the config's run.keep). */
  keep?: boolean;
  verbose?: boolean;
  /** No progress or info lines on stderr (warnings and errors still go to the debug log). */
  quiet?: boolean;
  /** Change the parsed config before validation (sweeps: set one grid point). Gets a deep copy. */
  mutate?: (raw: unknown) => unknown;
}

export interface RunConfigResult {
  runId: string;
  runDir: string;
  results: ResultsDocument;
  /** The failure (config errors are thrown instead, as ContinuumError CONFIG_INVALID). */
  error: Error | undefined;
}

/**
 * Run every phase of a config in this process, exactly like `continuum run` (same plugins, state,
 * results, teardown, signals), for tools built on the engine such as parameter sweeps.
 */
export async function runConfig(options: RunConfigOptions): Promise<RunConfigResult> {
  const { Config } = await import('@oclif/core');
  const coreRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const firstParty = pathToFileURL(join(coreRoot, 'bin', 'first-party.js')).href;
  const { loadOptions } = (await import(firstParty)) as {
    loadOptions: (binUrl: string) => Record<string, unknown>;
  };
  const oclif = await Config.load(loadOptions(pathToFileURL(join(coreRoot, 'bin', 'run.js')).href) as never);
  const { Registry } = await import('./engine/registry.js');
  const { Output } = await import('./engine/output.js');
  const { loadConfigFile } = await import('./engine/config-loader.js');
  const { validateConfig } = await import('./engine/validate.js');
  const { RunEngine } = await import('./engine/run-engine.js');
  const { runFlow } = await import('./engine/run-flow.js');

  const registry = new Registry(oclif.getPluginsList());
  const output = new Output({
    verbose: options.verbose ?? false,
    json: false,
    quiet: options.quiet ?? false,
    tty: false,
  });
  const loaded = await loadConfigFile(options.config);
  if (options.mutate !== undefined) loaded.raw = options.mutate(structuredClone(loaded.raw));
  const validated = await validateConfig(loaded, registry, output);
  for (const w of validated.warnings) output.logger('core').warn(w);
  const keep = options.keep ?? validated.config.run.keep;
  const engine = RunEngine.create(
    validated,
    loaded.filepath,
    {
      baseDir: options.runDir ?? '.continuum',
      output,
      coreVersion: oclif.version,
      command: 'runConfig()',
      observer: async (event, run) => {
        const opts: PhaseHookOptions = { event, run };
        const r = await oclif.runHook('continuum:phase', opts as unknown as Record<string, unknown>, 10_000);
        for (const f of r.failures)
          output.logger('core').warn(`continuum:phase hook of ${f.plugin.name} failed: ${f.error.message}`);
      },
    },
    keep,
  );
  const phases = {
    validate: true,
    plan: true,
    provision: true,
    install: true,
    benchmark: true,
    collect: true,
  };
  const { results, error } = await runFlow(engine, output, phases, keep, validated.selected);
  return { runId: engine.runId, runDir: engine.runDir, results, error };
}
