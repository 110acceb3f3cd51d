import { BaseCommand } from '../base-command.js';

export default class Capabilities extends BaseCommand<typeof Capabilities> {
  static override summary =
    'List the capabilities installed plugins provide (read from package.json; no plugin code runs).';
  static override examples = ['<%= config.bin %> capabilities', '<%= config.bin %> capabilities --json'];

  async run(): Promise<unknown> {
    const { columns } = await import('../engine/columns.js');
    const registry = this.registry();
    const rows = registry.entries.map((e) => {
      const plugin = this.config.getPluginsList().find((p) => p.name === e.pluginName);
      const description =
        e.description ?? (plugin?.pjson as { description?: string } | undefined)?.description ?? '';
      return {
        kind: e.kind,
        name: e.name,
        package: `${e.pluginName}@${e.pluginVersion}`,
        apiVersion: e.apiVersion,
        source: e.pluginType,
        status: e.rejected === undefined ? 'ok' : 'rejected',
        description: e.rejected ?? description,
      };
    });
    if (rows.length === 0)
      this.say('no capabilities installed: continuum plugins:install @continuum/provider-local');
    else
      this.say(
        columns(
          ['KIND', 'NAME', 'PACKAGE', 'API', 'SOURCE', 'STATUS', 'DESCRIPTION'],
          rows.map((r) => [
            r.kind,
            r.name,
            r.package,
            String(r.apiVersion),
            r.source,
            r.status,
            r.description,
          ]),
        ),
      );
    for (const w of registry.warnings) this.out.logger('core').warn(w);
    return { capabilities: rows, warnings: registry.warnings };
  }
}
