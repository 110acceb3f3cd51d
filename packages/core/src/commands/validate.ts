import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary =
    "Check a config: the skeleton, every selected capability's options, and each capability's own checks.";
  static override description =
    'Reports every problem at once, with its full path and, for YAML/JSON files, file:line. Exit code 2 when the config is invalid.';
  static override examples = [
    '<%= config.bin %> validate examples/local/continuum.config.yaml',
    '<%= config.bin %> validate upstream.cfg',
  ];
  static override args = {
    config: Args.string({ description: 'Config file; searched in the current directory when omitted.' }),
  };

  async run(): Promise<unknown> {
    const { loadAndValidate } = await import('../engine/prepare.js');
    const { loaded, validated } = await loadAndValidate(this.args.config, this.registry(), this.out);
    const t = validated.topology;
    const caps = validated.selected.map((s) => `${s.kind} ${s.name}`);
    this.say(
      `✔ ${loaded.filepath} is valid: ${t.nodes.length} nodes (${t.nodes.map((n) => n.name).join(', ')}), mode ${t.mode}; ${caps.join(', ')}`,
    );
    for (const n of loaded.notes) this.say(`  note: ${n.path}: ${n.note}`);
    return {
      valid: true,
      config: loaded.filepath,
      nodes: t.nodes.map((n) => n.name),
      mode: t.mode,
      capabilities: caps,
      warnings: validated.warnings,
    };
  }
}
