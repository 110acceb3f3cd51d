import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ContinuumError, isSameProcessRunning, processStartTime } from '@continuum/plugin-api';
import { BaseCommand } from '../base-command.js';
import type { SweepPoint, SweepState } from '../report/sweep.js';

export default class Sweep extends BaseCommand<typeof Sweep> {
  static override summary =
    'Run a config over a parameter grid (with repetitions), resumable, with a combined report.';
  static override description = `Every combination of the --set values, repeated --repetitions times, is one normal run (its own run directory, teardown and results), driven in this process by the engine (runConfig), or as a separate \`continuum run\` process per point with --isolate. Progress is kept in <run-dir>/sweeps/<id>/sweep.json: after an interruption, \`continuum sweep --resume <id>\` runs only the points not done yet (failed ones are retried). At the end <run-dir>/sweeps/<id>/report.html and sweep.csv combine all runs.

Exit codes: 0 when every point succeeded; 1 when some points failed (the others are kept; resume retries them); 130 when interrupted; 2 for an invalid config or --set.`;
  static override examples = [
    '<%= config.bin %> sweep examples/local/continuum.config.yaml --set infrastructure.endpoint.nodes=1,2,4,8 --repetitions 3',
    '<%= config.bin %> sweep my.yaml --set infrastructure.network.links.cloud-endpoint.latency=5,20,50 --set infrastructure.cloud.quota=0.5,1',
    '<%= config.bin %> sweep --resume sweep-20261123-120000',
  ];
  static override args = {
    config: Args.string({ description: 'Base config file (.yaml, .json, .ts or upstream .cfg).' }),
  };
  static override flags = {
    set: Flags.string({
      description: 'key=v1,v2,… (dotted config path; numbers index lists). Repeat for more axes.',
      multiple: true,
      default: [],
    }),
    repetitions: Flags.integer({ description: 'Runs per grid point.', default: 1, min: 1 }),
    name: Flags.string({ description: 'Sweep id (default: sweep-<time>).' }),
    resume: Flags.string({ description: 'Resume the sweep with this id.' }),
    'fail-fast': Flags.boolean({ description: 'Stop at the first failed point.', default: false }),
    isolate: Flags.boolean({
      description:
        'Run each point as its own `continuum run` process (from the point config written in the sweep folder) instead of in this process.',
      default: false,
    }),
  };

  async run(): Promise<{ sweep: string; dir: string; report: string; points: SweepPoint[] }> {
    const sweep = await import('../report/sweep.js');
    const { writeFileAtomic } = await import('../engine/atomic-file.js');
    const base = resolve(this.flags['run-dir']);
    let state: SweepState;
    let dir: string;
    if (this.flags.resume !== undefined) {
      dir = join(base, 'sweeps', this.flags.resume);
      if (!existsSync(join(dir, 'sweep.json')))
        throw new ContinuumError(
          'RUN_NOT_FOUND',
          `No sweep ${this.flags.resume} in ${join(base, 'sweeps')}.`,
          { hint: 'Sweep ids are the folder names in <run-dir>/sweeps/.' },
        );
      state = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as SweepState;
    } else {
      if (this.args.config === undefined)
        throw new ContinuumError('CONFIG_INVALID', 'sweep needs a config file (or --resume <id>).', {
          hint: 'continuum sweep my.yaml --set key=v1,v2',
        });
      if (this.flags.set.length === 0)
        throw new ContinuumError('CONFIG_INVALID', 'sweep needs at least one --set key=v1,v2,…', {
          hint: 'Without --set use `continuum run`.',
        });
      const axes = this.flags.set.map((s) => sweep.parseSet(s));
      const id =
        this.flags.name ??
        `sweep-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
      dir = join(base, 'sweeps', id);
      if (existsSync(join(dir, 'sweep.json')))
        throw new ContinuumError('CONFIG_INVALID', `Sweep ${id} exists already.`, {
          hint: `Resume it with \`continuum sweep --resume ${id}\` or pick another --name.`,
        });
      state = sweep.newSweepState(id, resolve(this.args.config), axes, this.flags.repetitions);
    }
    mkdirSync(join(dir, 'points'), { recursive: true });
    const save = (): void => writeFileAtomic(join(dir, 'sweep.json'), `${JSON.stringify(state, null, 2)}\n`);
    const releaseLock = this.lock(dir, state.id);
    try {
      // Validate the base config and every point's config before running anything.
      const { loadConfigFile } = await import('../engine/config-loader.js');
      const loaded = await loadConfigFile(state.configPath);
      const baseConfig = loaded.raw as Record<string, unknown>;
      const pointFile = (p: SweepPoint, i: number): string => {
        const config = structuredClone(baseConfig);
        for (const [k, v] of Object.entries(p.values)) sweep.setPath(config, k, v);
        const file = join(dir, 'points', `${String(i).padStart(3, '0')}.json`);
        writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
        return file;
      };
      state.points.forEach((p, i) => pointFile(p, i));
      save();

      const todo = sweep.remaining(state);
      this.out.print(`sweep ${state.id}: ${state.points.length} runs (${todo.length} to do) in ${dir}`);
      let interrupted = false;
      for (const p of todo) {
        const index = state.points.indexOf(p);
        p.status = 'running';
        p.startedAt = new Date().toISOString();
        delete p.error;
        save();
        this.out.print(`▶ [${index + 1}/${state.points.length}] ${p.key} #${p.repetition}`);
        const result = this.flags.isolate
          ? await this.runPoint(join(dir, 'points', `${String(index).padStart(3, '0')}.json`), base)
          : await this.runPointInProcess(state.configPath, p, base);
        if (result.configError === true && !state.points.some((x) => x.status === 'done')) {
          // The grid produced an invalid config before anything ran: a config error (exit 2), not a failed run.
          p.status = 'pending';
          save();
          throw result.cause;
        }
        p.endedAt = new Date().toISOString();
        p.exitCode = result.exitCode;
        if (result.runId !== undefined) p.runId = result.runId;
        p.status =
          result.exitCode === 0
            ? 'done'
            : result.interrupted || result.exitCode === 130
              ? 'interrupted'
              : 'failed';
        if (result.error !== undefined) p.error = result.error;
        save();
        this.out.print(
          `${p.status === 'done' ? '✔' : '✖'} ${p.key} #${p.repetition}: ${p.status}${p.runId ? ` (run ${p.runId})` : ''}${p.error ? `: ${p.error}` : ''}`,
        );
        if (p.status === 'interrupted') {
          interrupted = true;
          break;
        }
        if (p.status === 'failed' && this.flags['fail-fast']) break;
      }

      const report = await this.writeCombined(state, dir, base);
      const failed = state.points.filter((p) => p.status !== 'done');
      this.say(
        `\nsweep ${state.id}: ${state.points.length - failed.length}/${state.points.length} done; report ${report}`,
      );
      if (interrupted)
        throw new ContinuumError('INTERRUPTED', `Sweep ${state.id} interrupted.`, {
          hint: `Continue with \`continuum sweep --resume ${state.id}\`.`,
        });
      if (failed.length > 0) {
        throw new ContinuumError(
          'SWEEP_INCOMPLETE',
          `${failed.length} of ${state.points.length} sweep runs did not succeed: ${failed.map((p) => `${p.key} #${p.repetition} (${p.status})`).join(', ')}`,
          { hint: `See each run's debug.log; \`continuum sweep --resume ${state.id}\` retries them.` },
        );
      }
      return { sweep: state.id, dir, report, points: state.points };
    } finally {
      releaseLock();
    }
  }

  /**
   * One grid point with the engine in this process (runConfig: same plugins, state, results and
   * teardown as `continuum run`; the base config keeps its path, so relative paths in it still work).
   */
  private async runPointInProcess(configPath: string, p: SweepPoint, base: string): Promise<PointResult> {
    const { runConfig } = await import('../api.js');
    const { exitCodeFor } = await import('../engine/exit-codes.js');
    const { setPath } = await import('../report/sweep.js');
    const firstLine = (e: unknown): string => (e as Error).message.split('\n')[0] ?? '';
    try {
      const r = await runConfig({
        config: configPath,
        runDir: base,
        keep: false,
        verbose: this.flags.verbose,
        mutate: (raw) => {
          const config = raw as Record<string, unknown>;
          for (const [k, v] of Object.entries(p.values)) setPath(config, k, v);
          return config;
        },
      });
      return {
        exitCode: r.error === undefined ? 0 : exitCodeFor(r.error),
        runId: r.runId,
        ...(r.error !== undefined ? { error: firstLine(r.error) } : {}),
        interrupted: r.results.status === 'interrupted',
      };
    } catch (error) {
      const code = exitCodeFor(error);
      return {
        exitCode: code,
        error: firstLine(error),
        interrupted: false,
        ...(code === 2 ? { configError: true, cause: error } : {}),
      };
    }
  }

  /** One grid point = one `continuum run` child process (isolation, own teardown, own exit code). */
  private runPoint(configFile: string, base: string): Promise<PointResult> {
    const bin = join(this.config.root, 'bin', 'run.js');
    return new Promise((resolvePromise) => {
      const child = spawn(
        process.execPath,
        [bin, 'run', configFile, '--json', '--run-dir', base, ...(this.flags.verbose ? ['--verbose'] : [])],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let stdout = '';
      let interrupted = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      // Ctrl-C reaches the child through the terminal; a signal sent to this process only is forwarded.
      const forward = (signal: NodeJS.Signals): void => {
        interrupted = true;
        child.kill(signal);
      };
      const onInt = (): void => forward('SIGINT');
      const onTerm = (): void => forward('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      child.on('close', (code, signal) => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        let runId: string | undefined;
        let error: string | undefined;
        try {
          const doc = JSON.parse(stdout) as {
            runId?: string;
            status?: string;
            error?: { message?: string };
            results?: { runId?: string };
          };
          runId = doc.runId ?? doc.results?.runId;
          if (doc.status === 'error') error = doc.error?.message;
        } catch {
          error = code === 0 ? undefined : `exit ${code ?? signal ?? '?'}`;
        }
        runId ??= readCurrent(base);
        resolvePromise({
          exitCode: code ?? 128,
          ...(runId !== undefined ? { runId } : {}),
          ...(error !== undefined ? { error: error.split('\n')[0] ?? error } : {}),
          interrupted: interrupted || signal === 'SIGINT',
        });
      });
    });
  }

  private async writeCombined(state: SweepState, dir: string, base: string): Promise<string> {
    const { readResults } = await import('../report/index.js');
    const { renderSweepHtml, sweepCsv } = await import('../report/sweep.js');
    const runs = state.points.flatMap((p) => {
      if (p.runId === undefined) return [];
      const runDir = join(base, 'runs', p.runId);
      try {
        return [{ label: `${p.key} #${p.repetition}`, dir: runDir, doc: readResults(runDir), point: p }];
      } catch {
        return [];
      }
    });
    const report = join(dir, 'report.html');
    writeFileSync(report, renderSweepHtml(state, runs));
    writeFileSync(join(dir, 'sweep.csv'), sweepCsv(state, runs));
    return report;
  }

  /** One process per sweep: a lock file with our PID (and start time, so a stale lock is recognised). */
  private lock(dir: string, id: string): () => void {
    const file = join(dir, 'sweep.lock');
    try {
      const held = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; startTime?: string };
      if (isSameProcessRunning(held))
        throw new ContinuumError('LOCKED', `Sweep ${id} is running in process ${held.pid}.`, {
          hint: 'Wait for it, or stop that process first.',
        });
    } catch (error) {
      if (error instanceof ContinuumError) throw error;
    }
    const startTime = processStartTime(process.pid);
    writeFileSync(
      file,
      JSON.stringify({ pid: process.pid, ...(startTime !== undefined ? { startTime } : {}) }),
    );
    return () => rmSync(file, { force: true });
  }
}

interface PointResult {
  exitCode: number;
  runId?: string;
  error?: string;
  interrupted: boolean;
  /** The point's config is invalid (thrown before anything was created). */
  configError?: boolean;
  cause?: unknown;
}

function readCurrent(base: string): string | undefined {
  try {
    return readFileSync(join(base, 'current'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
