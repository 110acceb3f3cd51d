import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ContinuumError, isContinuumError, validateWithSchema } from '@continuum/plugin-api';
import type { CleanResult, Provider, Topology } from '@continuum/plugin-api';
import { BaseCommand } from '../base-command.js';

/** No nodes: `clean` works from names and labels alone, never from a topology. */
const EMPTY_TOPOLOGY: Topology = {
  mode: 'endpoint',
  tiers: {
    cloud: { nodes: 0, cores: 1, memoryMiB: 1024, cpuQuota: 1, diskReadMBps: 0, diskWriteMBps: 0 },
    edge: { nodes: 0, cores: 1, memoryMiB: 1024, cpuQuota: 1, diskReadMBps: 0, diskWriteMBps: 0 },
    endpoint: { nodes: 0, cores: 1, memoryMiB: 1024, cpuQuota: 1, diskReadMBps: 0, diskWriteMBps: 0 },
  },
  nodes: [],
  network: { emulation: false, preset: '4g', links: [] },
};

interface RecordedRun {
  provider?: { use: string; options?: unknown };
}

export default class Clean extends BaseCommand<typeof Clean> {
  static override summary = 'Remove what a run left behind when its state file cannot be used.';
  static override description = `Providers find their resources by the run tag in names and labels (namespaces, links, cgroups, VMs, cloud resources) and remove them without the state file, e.g. after the run directory was deleted or a crash before the first state write. Use \`continuum down\` when the state file exists. Without a run, --all removes everything the selected providers ever created on this host or cloud project.`;
  static override examples = [
    '<%= config.bin %> clean 20261123-182000-k3x9',
    '<%= config.bin %> clean --provider local --all --dry-run',
    '<%= config.bin %> clean --provider gcp --config my.yaml 20261123-182000-k3x9',
  ];
  static override args = {
    run: Args.string({ description: 'Run id whose leftovers to remove.' }),
  };
  static override flags = {
    provider: Flags.string({
      description: 'Provider(s) to ask (default: the one recorded in the run directory).',
      multiple: true,
    }),
    config: Flags.string({
      description: 'Config file whose provider options to use (project, zone, credentials …).',
    }),
    all: Flags.boolean({ description: 'Every run of the selected providers, not one run.', default: false }),
    'dry-run': Flags.boolean({ description: 'List what would be removed, remove nothing.', default: false }),
  };

  async run(): Promise<{ results: Record<string, CleanResult> }> {
    const runId = this.args.run;
    if (runId === undefined && !this.flags.all) {
      throw new ContinuumError('CONFIG_CLEAN_TARGET', 'Say which run to clean, or pass --all.', {
        hint: 'Run ids are listed by `continuum status`; for a run with a state file, `continuum down <id>` is the normal path.',
      });
    }
    const recorded = runId !== undefined ? this.recordedRun(runId) : undefined;
    const fromConfig = await this.configSelection();
    const providers =
      this.flags.provider ??
      [recorded?.provider?.use ?? fromConfig?.use].filter((p): p is string => p !== undefined);
    if (providers.length === 0) {
      throw new ContinuumError(
        'CONFIG_CLEAN_PROVIDER',
        'No provider to ask: the run directory is gone and no --provider was given.',
        {
          hint: 'Pass --provider local (or qemu, gcp …).',
        },
      );
    }
    const registry = this.registry();
    const results: Record<string, CleanResult> = {};
    let failed = false;
    const scratch = mkdtempSync(join(tmpdir(), 'continuum-clean-'));
    try {
      for (const name of providers) {
        const entry = registry.resolve('provider', name);
        const cap = (await registry.load(entry)) as Provider;
        if (cap.clean === undefined) {
          this.out
            .logger('core')
            .warn(
              `provider ${name} (${entry.pluginName}) cannot clean without state; use \`continuum down\``,
            );
          continue;
        }
        const rawOptions =
          fromConfig?.use === name
            ? fromConfig.options
            : recorded?.provider?.use === name
              ? recorded.provider.options
              : {};
        let options: unknown = rawOptions ?? {};
        if (cap.configSchema !== undefined) {
          const checked = await validateWithSchema(cap.configSchema, options, ['provider', 'options']);
          if (!checked.ok) {
            throw new ContinuumError(
              'CONFIG_INVALID',
              `Provider ${name} options are invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
              { hint: 'Pass the config the run was created with: --config <file>.' },
            );
          }
          options = checked.value;
        }
        const log = this.out.logger(`provider/${name}`);
        const ctx = {
          config: options,
          topology: EMPTY_TOPOLOGY,
          run: {
            id: runId ?? 'clean',
            dir: scratch,
            startedAt: new Date().toISOString(),
            configPath: undefined,
          },
          host: { isRoot: process.getuid?.() === 0, cores: 0, memoryMiB: 0, platform: process.platform },
          log,
          signal: AbortSignal.timeout(15 * 60_000),
          state: { get: () => undefined, set: () => Promise.resolve() },
          workDir: scratch,
          nodes: [],
          outputs: { infrastructure: undefined, services: {}, cluster: undefined },
          runner: undefined,
        };
        try {
          const result = await cap.clean(ctx, {
            ...(runId !== undefined ? { runId } : {}),
            dryRun: this.flags['dry-run'],
          });
          results[name] = result;
          const verb = this.flags['dry-run'] ? 'would remove' : 'removed';
          if (result.removed.length === 0) this.say(`${name}: nothing left behind`);
          for (const r of result.removed) this.say(`${name}: ${verb} ${r.resource} ${r.name}`);
          for (const e of result.errors)
            this.say(`${name}: could not remove ${e.resource} ${e.name}: ${e.message}`);
          if (result.errors.length > 0) failed = true;
        } catch (error) {
          failed = true;
          const message = isContinuumError(error) ? error.message : (error as Error).message;
          results[name] = { removed: [], errors: [{ resource: 'provider', name, message }] };
          this.say(`${name}: clean failed: ${message}`);
        }
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    if (failed) {
      throw Object.assign(
        new ContinuumError('CLEAN_INCOMPLETE', 'Some resources could not be removed (listed above).', {
          hint: 'Fix the cause (permissions, a busy resource) and run `continuum clean` again.',
        }),
        { results },
      );
    }
    return { results };
  }

  /** Provider selection recorded in the run directory, when it still exists. */
  private recordedRun(runId: string): RecordedRun | undefined {
    const file = resolve(this.flags['run-dir'], 'runs', runId, 'state.json');
    if (!existsSync(file)) return undefined;
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as { config?: RecordedRun };
      return state.config;
    } catch {
      return undefined;
    }
  }

  private async configSelection(): Promise<{ use: string; options?: unknown } | undefined> {
    if (this.flags.config === undefined) return undefined;
    const { loadConfigFile } = await import('../engine/config-loader.js');
    const loaded = await loadConfigFile(this.flags.config);
    const raw = loaded.raw as { provider?: { use?: unknown; options?: unknown } } | undefined;
    return typeof raw?.provider?.use === 'string'
      ? { use: raw.provider.use, options: raw.provider.options }
      : undefined;
  }
}
