import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Args, Command, Flags } from '@oclif/core';
import { isContinuumError } from '@continuum/plugin-api';

/**
 * `continuum config import file.cfg [-o out.yaml]`: an upstream Continuum INI file → the
 * equivalent native YAML config, with a comment wherever an upstream key had no direct equivalent.
 */
export default class ConfigImport extends Command {
  static override summary = 'Convert an upstream Continuum .cfg file into a native config file';
  static override description =
    'Reads an INI config of upstream Continuum (atlarge-research/continuum) with upstream\'s semantics ' +
    '(defaults, mandatory keys, node-count rules) and writes the equivalent continuum.config.yaml. ' +
    'Keys without a direct equivalent become YAML comments; changes of meaning (e.g. upstream bugs that are ' +
    'not copied) are printed as warnings on stderr. `continuum run|up|plan|validate` also accept .cfg files directly.';

  static override examples = [
    '<%= config.bin %> config import bench_cloud.cfg',
    '<%= config.bin %> config import bench_cloud.cfg -o continuum.config.yaml',
    '<%= config.bin %> config import bench_cloud.cfg --json',
  ];

  static override enableJsonFlag = true;

  static override args = {
    file: Args.string({ description: 'upstream .cfg file', required: true }),
  };

  static override flags = {
    output: Flags.string({ char: 'o', description: 'write the YAML here instead of stdout' }),
    force: Flags.boolean({ char: 'f', description: 'overwrite the output file if it exists', default: false }),
  };

  async run(): Promise<{ config: Record<string, unknown>; warnings: string[]; notes: { path: string; note: string }[]; output?: string }> {
    const { args, flags } = await this.parse(ConfigImport);
    const { loadLegacyConfig } = await import('../../legacy/index.js');
    const { renderImportedYaml } = await import('../../legacy/yaml-output.js');
    let loaded;
    try {
      loaded = await loadLegacyConfig(args.file);
    } catch (err) {
      if (isContinuumError(err)) {
        // Exit code 2 = config error, like every other command.
        this.error(`${err.message}${err.hint ? `\nHint: ${err.hint}` : ''}`, { exit: 2, code: err.code });
      }
      throw err;
    }
    for (const w of loaded.warnings) this.warn(w);

    const yaml = renderImportedYaml(loaded.config, loaded.notes, basename(args.file));
    if (flags.output !== undefined) {
      try {
        await writeFile(flags.output, yaml, { encoding: 'utf8', flag: flags.force ? 'w' : 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        this.error(
          code === 'EEXIST' ? `${flags.output} already exists` : `cannot write ${flags.output}: ${(err as Error).message}`,
          { exit: 1, ...(code === 'EEXIST' ? { suggestions: ['pass --force to overwrite it'] } : {}) },
        );
      }
      this.logToStderr(`Wrote ${flags.output}`);
      return { ...loaded, output: flags.output };
    }
    this.log(yaml.trimEnd());
    return loaded;
  }
}
