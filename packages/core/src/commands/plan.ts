import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';

export default class Plan extends BaseCommand<typeof Plan> {
  static override summary = 'Show what a config would create, without creating anything.';
  static override description =
    'Prints the resolved topology (node names, roles, cores/memory/quota, links with delay, jitter, rate and loss) and what each selected capability would create.';
  static override examples = [
    '<%= config.bin %> plan examples/local/continuum.config.yaml',
    '<%= config.bin %> plan upstream.cfg --json',
  ];
  static override args = {
    config: Args.string({ description: 'Config file; searched in the current directory when omitted.' }),
  };

  async run(): Promise<unknown> {
    const { loadAndValidate } = await import('../engine/prepare.js');
    const { planAll, renderTopology, columns } = await import('../engine/plan.js');
    const { loaded, validated } = await loadAndValidate(this.args.config, this.registry(), this.out, {
      hostChecksAsWarnings: true,
    });
    const sections = await planAll(validated.selected, validated.topology, this.out);
    this.say(`plan for ${loaded.filepath}\n`);
    this.say(renderTopology(validated.topology));
    for (const s of sections) {
      this.say(`\n${s.capability} (${s.plugin})`);
      if (s.error !== undefined) this.say(`  plan failed: ${s.error}`);
      else if (s.items.length === 0) this.say('  (nothing to plan)');
      else
        this.say(
          columns(
            ['  RESOURCE', 'NAME', 'DETAILS'],
            s.items.map((i) => [
              `  ${i.resource}`,
              i.name,
              Object.entries(i.details ?? {})
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(' '),
            ]),
          ),
        );
    }
    return {
      config: loaded.filepath,
      topology: validated.topology,
      capabilities: sections,
      warnings: validated.warnings,
    };
  }
}
