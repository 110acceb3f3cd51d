import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ContinuumError } from '@continuum/plugin-api';
import { BaseCommand } from '../base-command.js';

export default class Compare extends BaseCommand<typeof Compare> {
  static override summary =
    'Compare runs side by side: a metric table on the terminal and an HTML page with plots.';
  static override examples = [
    '<%= config.bin %> compare 20261123-100000-ab12 20261123-110000-cd34',
    '<%= config.bin %> compare runA runB --html cmp.html',
    '<%= config.bin %> compare runA runB --json',
  ];
  static override strict = false;
  static override args = {
    runs: Args.string({ description: 'Two or more run ids or run directories.', required: true }),
  };
  static override flags = {
    html: Flags.string({
      description: 'Where to write the HTML comparison (default: <run-dir>/compare-<time>.html).',
    }),
  };

  async run(): Promise<{
    runs: { id: string; dir: string }[];
    metrics: Record<string, unknown>[];
    html: string;
  }> {
    const { locateRun } = await import('../report/locate.js');
    const { readResults, formatCompare, renderCompareHtml, compareTable } =
      await import('../report/index.js');
    const { argv } = await this.parse(Compare);
    const ids = argv as string[];
    if (ids.length < 2)
      throw new ContinuumError('CONFIG_INVALID', 'compare needs at least two runs.', {
        hint: 'List runs with `continuum status`.',
      });
    const runs = [];
    for (const arg of ids) {
      const { id, dir } = await locateRun(this.flags['run-dir'], arg);
      runs.push({ label: id, dir, doc: readResults(dir) });
    }
    const html = resolve(
      this.flags.html ??
        join(this.flags['run-dir'], `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.html`),
    );
    writeFileSync(html, renderCompareHtml(runs));
    this.say(`${formatCompare(runs)}\n\nplots: ${html}`);
    const table = compareTable(runs);
    return {
      runs: runs.map((r) => ({ id: r.label, dir: r.dir })),
      metrics: table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i]]))),
      html,
    };
  }
}
