import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ContinuumError } from '@continuum/plugin-api';
import { BaseCommand } from '../../base-command.js';

/**
 * `continuum config import file.cfg [-o out.yaml] [--plan]`: an upstream Continuum INI file → the
 * equivalent native YAML config, with a comment wherever an upstream key had no direct equivalent.
 */
export default class ConfigImport extends BaseCommand<typeof ConfigImport> {
  static override summary = 'Convert an upstream Continuum .cfg file into a native config file.';
  static override description =
    "Reads an INI config of upstream Continuum (atlarge-research/continuum) with upstream's semantics " +
    '(defaults, mandatory keys, node-count rules) and writes the equivalent continuum.config.yaml. ' +
    'Keys without a direct equivalent become YAML comments; changes of meaning (upstream bugs that are ' +
    'not copied) are printed as warnings on stderr. With --plan, prints the topology upstream would build ' +
    '(VM names, IPs, limits, emulated links) without needing any plugin. ' +
    '`continuum run|up|plan|validate` also accept .cfg files directly.';

  static override examples = [
    '<%= config.bin %> config import bench_cloud.cfg',
    '<%= config.bin %> config import bench_cloud.cfg -o continuum.config.yaml',
    '<%= config.bin %> config import bench_cloud.cfg --plan',
    '<%= config.bin %> config import bench_cloud.cfg --json',
  ];

  static override args = {
    file: Args.string({ description: 'Upstream .cfg file.', required: true }),
  };

  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write the YAML to this file instead of stdout.' }),
    force: Flags.boolean({
      char: 'f',
      description: 'Overwrite the output file if it exists.',
      default: false,
    }),
    plan: Flags.boolean({
      description:
        "Print upstream's topology plan (VM names, IPs, limits, links) instead of the YAML on stdout.",
      default: false,
    }),
  };

  async run(): Promise<Record<string, unknown>> {
    const { loadLegacyConfigDetailed, legacyPlan, formatLegacyPlan } = await import('../../legacy/index.js');
    const { renderImportedYaml } = await import('../../legacy/yaml-output.js');
    const file = this.args.file;
    const loaded = await loadLegacyConfigDetailed(file);
    const log = this.out.logger('core:legacy');
    for (const w of loaded.warnings) log.warn(w);

    const yaml = renderImportedYaml(loaded.config, loaded.notes, basename(file));
    const plan = legacyPlan(loaded.config, loaded.upstream, { user: safeUser() });
    const result: Record<string, unknown> = {
      config: loaded.config,
      warnings: loaded.warnings,
      notes: loaded.notes,
      plan,
    };
    if (this.flags.output !== undefined) {
      await this.writeOutput(this.flags.output, yaml);
      result['output'] = this.flags.output;
      this.logToStderr(`wrote ${this.flags.output}`);
    } else if (!this.flags.plan) {
      this.say(yaml.trimEnd());
    }
    if (this.flags.plan) this.say(formatLegacyPlan(plan));
    return result;
  }

  private async writeOutput(path: string, text: string): Promise<void> {
    try {
      await writeFile(path, text, { encoding: 'utf8', flag: this.flags.force ? 'w' : 'wx' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST')
        throw new ContinuumError('OUTPUT_EXISTS', `${path} already exists.`, {
          hint: 'Pass --force to overwrite it, or choose another -o path.',
        });
      throw new ContinuumError('OUTPUT_WRITE', `Cannot write ${path}: ${code ?? (err as Error).message}.`, {
        hint: 'Check the directory exists and is writable.',
      });
    }
  }
}

function safeUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
