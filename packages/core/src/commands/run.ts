import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import type { ResultsDocument } from '../engine/report.js';

export default class Run extends BaseCommand<typeof Run> {
  static override summary =
    'Run every phase of a config: provision, install, benchmark, collect, then teardown.';
  static override description = `Validates the config, creates a run in <run-dir>/runs/<id>/ (state.json, debug.log, logs/, results.json, CSVs), runs the pipeline and tears everything down in reverse order, also after a failure or Ctrl-C. With --keep (or run.keep in the config) the infrastructure stays up for \`continuum bench\` and \`continuum down\`.`;
  static override examples = [
    '<%= config.bin %> run examples/local/continuum.config.yaml',
    '<%= config.bin %> run my.yaml --keep --json > results.json',
    '<%= config.bin %> run upstream.cfg',
  ];
  static override args = {
    config: Args.string({
      description:
        'Config file (.yaml, .json, .ts or upstream .cfg); searched in the current directory when omitted.',
    }),
  };
  static override flags = {
    keep: Flags.boolean({
      description: 'Keep the infrastructure after the run (tear it down later with `continuum down`).',
      default: false,
    }),
  };

  async run(): Promise<ResultsDocument> {
    const { loadAndValidate } = await import('../engine/prepare.js');
    const { RunEngine } = await import('../engine/run-engine.js');
    const { runFlow, renderResults, incompleteBenchmarkError } = await import('../engine/run-flow.js');
    const registry = this.registry();
    const { loaded, validated } = await loadAndValidate(this.args.config, registry, this.out);
    const keep = this.flags.keep || validated.config.run.keep;
    const engine = RunEngine.create(validated, loaded.filepath, this.engineOptions(), keep);
    const { results, error } = await runFlow(
      engine,
      this.out,
      { validate: true, plan: true, provision: true, install: true, benchmark: true, collect: true },
      keep,
      validated.selected,
    );
    const rendered = renderResults(results);
    if (rendered !== '') this.say(`\n${rendered}\n`);
    // With --json the error document carries the results gathered before the failure.
    if (error !== undefined) throw Object.assign(error, { results });
    const incomplete = incompleteBenchmarkError(results, engine.runDir);
    if (incomplete !== undefined) throw Object.assign(incomplete, { results });
    this.out.print(
      `run ${engine.runId}: ${results.status}; results in ${engine.runDir}${keep ? `\nkept: see nodes with \`continuum status ${engine.runId}\`, remove with \`continuum down ${engine.runId}\`` : ''}`,
    );
    return results;
  }
}
