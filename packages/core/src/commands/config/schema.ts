import { Flags } from '@oclif/core';
import { writeFileSync } from 'node:fs';
import { BaseCommand } from '../../base-command.js';

export default class ConfigSchema extends BaseCommand<typeof ConfigSchema> {
  static override summary =
    "Print the JSON Schema of the whole config (for editors), including installed capabilities' options.";
  static override description =
    'Use it in YAML with a first line `# yaml-language-server: $schema=./continuum.schema.json`, or as "$schema" in JSON configs.';
  static override examples = [
    '<%= config.bin %> config schema > continuum.schema.json',
    '<%= config.bin %> config schema -o continuum.schema.json',
  ];
  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write to this file instead of stdout.' }),
  };
  // The schema itself is the output; --json would only wrap it.
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const { buildJsonSchema } = await import('../../engine/json-schema.js');
    const schema = await buildJsonSchema(this.registry(), this.out);
    const text = `${JSON.stringify(schema, null, 2)}\n`;
    if (this.flags.output !== undefined) {
      writeFileSync(this.flags.output, text);
      this.out.print(`wrote ${this.flags.output}`);
    } else process.stdout.write(text);
  }
}
