import { Args } from '@oclif/core';
import { ContinuumError } from '@continuum/plugin-api';
import { BaseCommand } from '../base-command.js';
import type { ResultsDocument } from '../engine/report.js';

export default class Bench extends BaseCommand<typeof Bench> {
  static override summary = 'Run the benchmark (application + monitor collection) on a kept run.';
  static override description =
    'Re-attaches to the nodes of a run created with `continuum up` (or `run --keep`), runs the application (deploy + benchmark) and collects the monitors, and writes results into the run directory. The infrastructure stays up.';
  static override examples = [
    '<%= config.bin %> bench',
    '<%= config.bin %> bench 20261123-182000-k3x9 --json',
  ];
  static override args = { run: Args.string({ description: 'Run id (default: the current run).' }) };

  async run(): Promise<ResultsDocument> {
    const { RunEngine } = await import('../engine/run-engine.js');
    const { runFlow, renderResults, incompleteBenchmarkError } = await import('../engine/run-flow.js');
    const { engine, missing } = await RunEngine.open(this.args.run, this.registry(), this.engineOptions());
    const provider = engine.state.steps.find((s) => s.kind === 'provider');
    const notReady = engine.state.steps.filter((s) => s.kind !== 'application' && s.status !== 'done');
    if (provider?.status !== 'done' || notReady.length > 0 || missing.length > 0) {
      engine.release();
      throw new ContinuumError(
        'RUN_NOT_READY',
        `Run ${engine.runId} is not a kept, fully installed run (status ${engine.state.value.status}${notReady.length > 0 ? `; not done: ${notReady.map((s) => `${s.kind}/${s.name} (${s.status})`).join(', ')}` : ''}${missing.length > 0 ? `; ${missing.join('; ')}` : ''}).`,
        {
          hint: 'Create one with `continuum up <config>` (or `continuum up --resume`), then bench it.',
        },
      );
    }
    if (
      !engine.state.value.config ||
      !(engine.state.value.config as Record<string, unknown>)['application']
    ) {
      engine.release();
      throw new ContinuumError('CONFIG_INVALID', `Run ${engine.runId} has no application to benchmark.`, {
        hint: 'Add an `application:` section and create a new run.',
      });
    }
    engine.setStatus('running');
    const { results, error } = await runFlow(
      engine,
      this.out,
      { reattach: true, benchmark: true, collect: true },
      true,
      [],
    );
    const rendered = renderResults(results);
    if (rendered !== '') this.say(`\n${rendered}\n`);
    if (error !== undefined) throw Object.assign(error, { results });
    const incomplete = incompleteBenchmarkError(results, engine.runDir);
    if (incomplete !== undefined) throw Object.assign(incomplete, { results });
    this.out.print(`bench on run ${engine.runId}: ${results.status}; results in ${engine.runDir}`);
    return results;
  }
}
