import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';

export default class Report extends BaseCommand<typeof Report> {
  static override summary = 'Write (again) the report.html of a run from its results.json.';
  static override description =
    'The report is one self-contained HTML file (inline SVG, no network at view time): latency over time and CDF per endpoint, processing time, worker load, energy per node, resources over time, the measured-vs-configured link matrix and phase timings.';
  static override examples = [
    '<%= config.bin %> report',
    '<%= config.bin %> report 20261123-182000-k3x9',
    '<%= config.bin %> report path/to/run-dir --json',
  ];
  static override args = {
    run: Args.string({ description: 'Run id, "current" (default) or a run directory.' }),
  };

  async run(): Promise<{ runId: string; report: string; ms: number }> {
    const { locateRun } = await import('../report/locate.js');
    const { writeReport } = await import('../report/index.js');
    const { id, dir } = await locateRun(this.flags['run-dir'], this.args.run);
    const started = performance.now();
    const file = await writeReport(dir);
    const ms = Math.round(performance.now() - started);
    this.say(`report of run ${id}: ${file} (${ms} ms)`);
    return { runId: id, report: file, ms };
  }
}
