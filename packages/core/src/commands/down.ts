import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';

export default class Down extends BaseCommand<typeof Down> {
  static override summary = 'Tear a run down from its state file alone.';
  static override description =
    'Works in a new process after a crash, Ctrl-C or `up`: loads the plugins recorded in the run, re-attaches to the nodes, and calls teardown in reverse order for every step that is not torn down yet (pending ones too), continuing past errors. Safe to repeat.';
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down 20261123-182000-k3x9'];
  static override args = { run: Args.string({ description: 'Run id (default: the current run).' }) };

  async run(): Promise<Record<string, unknown>> {
    const { RunEngine } = await import('../engine/run-engine.js');
    const { engine, missing } = await RunEngine.open(this.args.run, this.registry(), this.engineOptions());
    try {
      const left = engine.state.steps.filter((s) => s.status !== 'torn-down');
      if (left.length === 0) {
        this.out.print(`run ${engine.runId}: nothing to tear down`);
        engine.setStatus('torn-down');
        return { runId: engine.runId, status: 'torn-down', tornDown: [] };
      }
      try {
        await engine.reattach();
      } catch (error) {
        // Teardown works from state alone; live nodes only help plugins that clean up on the nodes.
        this.out
          .logger('core')
          .warn(`could not re-attach to the nodes (${(error as Error).message}); tearing down from state`);
      }
      await engine.teardown(missing);
      this.out.print(`run ${engine.runId}: torn down (${left.map((s) => `${s.kind}/${s.name}`).join(', ')})`);
      return { runId: engine.runId, status: 'torn-down', tornDown: left.map((s) => `${s.kind}/${s.name}`) };
    } finally {
      engine.release();
    }
  }
}
