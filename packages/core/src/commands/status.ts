import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Args } from '@oclif/core';
import type { Infrastructure } from '@continuum/plugin-api';
import { BaseCommand } from '../base-command.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'List runs, or show one run: its steps, nodes and how to reach them.';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status 20261123-182000-k3x9',
    '<%= config.bin %> status current --json',
  ];
  static override args = { run: Args.string({ description: 'Run id, or "current".' }) };

  async run(): Promise<unknown> {
    const { listRunIds, currentRunId, resolveRunDir } = await import('../engine/run-engine.js');
    const { StateFile } = await import('../engine/state.js');
    const { columns } = await import('../engine/columns.js');
    const base = this.flags['run-dir'];
    const current = currentRunId(base);
    if (this.args.run === undefined) {
      const runs = listRunIds(base).map((id) => {
        try {
          const dir = resolveRunDir(base, id).dir;
          const s = StateFile.load(dir).value;
          return {
            id,
            current: id === current,
            createdAt: s.createdAt,
            status: s.status,
            result: resultStatus(dir),
            config: s.configPath ?? '',
            steps: s.steps.map((x) => `${x.kind}/${x.name}:${x.status}`),
          };
        } catch (error) {
          return {
            id,
            current: id === current,
            createdAt: '',
            status: `unreadable (${(error as Error).message})`,
            result: '',
            config: '',
            steps: [],
          };
        }
      });
      if (runs.length === 0) this.say(`no runs in ${base}`);
      else
        this.say(
          columns(
            ['RUN', 'CREATED', 'STATUS', 'RESULT', 'CONFIG'],
            runs.map((r) => [`${r.current ? '*' : ' '} ${r.id}`, r.createdAt, r.status, r.result, r.config]),
          ),
        );
      return { runs };
    }
    const { id, dir } = resolveRunDir(base, this.args.run === 'current' ? undefined : this.args.run);
    const state = StateFile.load(dir).value;
    const provider = state.steps.find((s) => s.kind === 'provider');
    const infra = provider?.output as Infrastructure | undefined;
    const nodes = (infra?.nodes ?? []).map((n) => ({
      name: n.name,
      role: n.role,
      address: n.address,
      cores: n.limits.cores,
      memoryMiB: n.limits.memoryMiB,
      quota: n.limits.cpuQuota,
      shell: n.access.shell,
    }));
    const alive = provider !== undefined && provider.status === 'done';
    this.say(
      `run ${id} (${state.status})  created ${state.createdAt}  config ${state.configPath ?? '-'}\n${dir}\n`,
    );
    this.say(
      columns(
        ['STEP', 'PLUGIN', 'STATUS', 'STARTED', 'ENDED'],
        state.steps.map((s) => [
          `${s.kind}/${s.name}`,
          s.plugin,
          s.status + (s.teardownError ? ' (teardown failed)' : ''),
          s.startedAt,
          s.endedAt ?? '',
        ]),
      ),
    );
    if (nodes.length > 0) {
      this.say(`\nnodes${alive ? '' : ' (recorded; the provider step is not up)'}:`);
      this.say(
        columns(
          ['NODE', 'ROLE', 'ADDRESS', 'CORES', 'MEMORY', 'QUOTA', 'SHELL'],
          nodes.map((n) => [
            n.name,
            n.role,
            n.address,
            String(n.cores),
            `${n.memoryMiB} MiB`,
            String(n.quota),
            n.shell,
          ]),
        ),
      );
    }
    return {
      runId: id,
      runDir: dir,
      status: state.status,
      configPath: state.configPath,
      steps: state.steps.map(({ state: _s, ...rest }) => rest),
      nodes,
    };
  }
}

/** The results.json status of a run (ok, partial, failed, interrupted), '-' before any results. */
function resultStatus(runDir: string): string {
  try {
    return (
      (JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { status?: string }).status ?? '-'
    );
  } catch {
    return '-';
  }
}
