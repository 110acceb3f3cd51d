import { Args, Flags } from '@oclif/core';
import { ContinuumError } from '@continuum/plugin-api';
import { BaseCommand } from '../base-command.js';

export default class Up extends BaseCommand<typeof Up> {
  static override summary = 'Provision the infrastructure and install services, then keep it running.';
  static override description = `Runs validate, plan, provision and install, and keeps everything for \`continuum bench\` (benchmark on the kept run) and \`continuum down\`. If a phase fails, what was created is torn down (unless --keep). With --resume, continues a run that stopped half-way: steps already done are re-attached, unfinished ones are torn down and created again; it refuses when the config changed since the run was created.`;
  static override examples = [
    '<%= config.bin %> up my.yaml',
    '<%= config.bin %> up my.yaml --resume',
    '<%= config.bin %> up my.yaml --resume --run 20261123-182000-k3x9',
  ];
  static override args = {
    config: Args.string({ description: 'Config file; searched in the current directory when omitted.' }),
  };
  static override flags = {
    resume: Flags.boolean({
      description: 'Continue the current (or --run) run instead of creating a new one.',
      default: false,
    }),
    run: Flags.string({ description: 'Run id to resume (default: the current run).', dependsOn: ['resume'] }),
    force: Flags.boolean({
      description: 'Resume even though the config changed (the config recorded in the run is used).',
      default: false,
      dependsOn: ['resume'],
    }),
    keep: Flags.boolean({ description: 'Keep what was created even when a phase fails.', default: false }),
  };

  async run(): Promise<Record<string, unknown>> {
    const { loadAndValidate } = await import('../engine/prepare.js');
    const { RunEngine, configHash } = await import('../engine/run-engine.js');
    const { runFlow } = await import('../engine/run-flow.js');
    const registry = this.registry();
    const { loaded, validated } = await loadAndValidate(this.args.config, registry, this.out);
    let engine;
    if (this.flags.resume) {
      const opened = await RunEngine.open(this.flags.run, registry, this.engineOptions());
      engine = opened.engine;
      const now = configHash(validated.config);
      if (now !== engine.hash) {
        if (!this.flags.force) {
          engine.release();
          throw new ContinuumError(
            'RESUME_CONFIG_CHANGED',
            `Refusing to resume run ${engine.runId}: the config changed since it was created (recorded hash ${engine.hash}, ${loaded.filepath} now hashes to ${now}).`,
            {
              hint: `Tear the run down with \`continuum down ${engine.runId}\` and start again, or pass --force to resume with the config recorded in the run.`,
              details: { runId: engine.runId, recordedHash: engine.hash, currentHash: now },
            },
          );
        }
        this.out
          .logger('core')
          .warn(
            `config changed (recorded ${engine.hash}, now ${now}); --force: resuming with the recorded config`,
          );
      }
      if (opened.missing.length > 0) {
        engine.release();
        throw new ContinuumError(
          'PLUGIN_MISSING',
          `Cannot resume run ${engine.runId}: ${opened.missing.join('; ')}`,
          { hint: 'Install the plugins the run was created with.' },
        );
      }
      engine.setKeep(true);
      engine.setStatus('running');
    } else {
      engine = RunEngine.create(validated, loaded.filepath, this.engineOptions(), true);
    }
    const selected = validated.selected;
    // Kept on success; a failed `up` removes what it created unless --keep (a resumed run is always kept).
    const keepWhen = (error: unknown): boolean => error === undefined || this.flags.keep || this.flags.resume;
    const { results, error } = await runFlow(
      engine,
      this.out,
      { validate: !this.flags.resume, plan: !this.flags.resume, provision: true, install: true },
      keepWhen,
      selected,
    );
    if (error !== undefined) throw error;
    const nodes = engine.liveNodes.map((n) => ({
      name: n.name,
      role: n.role,
      address: n.address,
      shell: n.access.shell,
    }));
    for (const n of nodes)
      this.say(`${n.name.padEnd(18)} ${n.role.padEnd(16)} ${n.address.padEnd(16)} ${n.shell}`);
    this.out.print(
      `run ${engine.runId} is up: benchmark with \`continuum bench ${engine.runId}\`, remove with \`continuum down ${engine.runId}\``,
    );
    return { runId: engine.runId, runDir: engine.runDir, status: 'up', nodes, phases: results.phases };
  }
}
