import { ContinuumError, isContinuumError } from '@continuum/plugin-api';
import type { Output } from './output.js';
import { planAll } from './plan.js';
import { renderResults, type ResultsDocument } from './report.js';
import type { RunEngine } from './run-engine.js';
import { installSignalHandlers } from './signals.js';

export interface FlowResult {
  results: ResultsDocument;
  error: Error | undefined;
}

/**
 * The phases a command runs on an engine, with teardown in `finally` (unless the run is kept),
 * signal handling, and results written whatever happens. Returns the first error instead of
 * throwing, so the command can print results before failing.
 */
export async function runFlow(
  engine: RunEngine,
  output: Output,
  phases: {
    validate?: boolean;
    plan?: boolean;
    provision?: boolean;
    install?: boolean;
    benchmark?: boolean;
    collect?: boolean;
    reattach?: boolean;
  },
  keepWhen: boolean | ((error: unknown) => boolean),
  selected: Parameters<typeof planAll>[0],
): Promise<FlowResult> {
  const uninstallSignals = installSignalHandlers(engine, output, keepWhen === true);
  // A plugin's stray rejected promise must not kill the process before teardown has run.
  const onStray = (reason: unknown): void => {
    output
      .logger('core')
      .warn(
        `a plugin left an unhandled promise rejection: ${reason instanceof Error ? reason.message : String(reason)}`,
      );
  };
  process.on('unhandledRejection', onStray);
  const uninstall = (): void => {
    uninstallSignals();
    process.off('unhandledRejection', onStray);
  };
  let error: unknown;
  try {
    if (phases.validate) await engine.phase('validate', 'validate', () => Promise.resolve());
    if (phases.plan) {
      await engine.phase('plan', 'plan', async () => {
        const sections = await planAll(selected, engine.state.value.topology, output, engine.runDir);
        for (const s of sections) {
          if (s.error !== undefined) output.logger(s.capability).warn(`plan: ${s.error}`);
          for (const item of s.items)
            output.logger(s.capability).debug(`plan: ${item.resource} ${item.name}`, item.details);
        }
      });
    }
    if (phases.reattach) await engine.reattach();
    if (phases.provision) await engine.provision();
    if (phases.install) await engine.install();
    if (phases.benchmark) await engine.benchmark();
    if (phases.collect) await engine.collect();
  } catch (e) {
    error = e;
    engine.recordError(e);
    // Printed once by the command; the debug log keeps it with its time.
    output.logger('core').debug(`failed: ${(e as Error).message}`);
  }
  let teardownError: unknown;
  const keep = typeof keepWhen === 'function' ? keepWhen(error) : keepWhen;
  try {
    if (!keep) {
      await engine.teardown();
    } else {
      if (error === undefined || !engine.interrupted) engine.setStatus(error === undefined ? 'up' : 'failed');
      if (engine.interrupted) engine.setStatus('interrupted');
      await engine.dispose();
    }
  } catch (e) {
    teardownError = e;
    engine.recordError(e);
  } finally {
    const interrupted = engine.interrupted || (isContinuumError(error) && error.code === 'INTERRUPTED');
    const appStatus = engine.results.application?.status;
    engine.finishResults(
      interrupted
        ? 'interrupted'
        : error !== undefined
          ? 'failed'
          : appStatus === 'partial' || appStatus === 'failed'
            ? 'partial'
            : 'ok',
    );
    if (!keep && teardownError === undefined && error !== undefined) engine.setStatus('torn-down');
    engine.release();
    uninstall();
  }
  if (phases.benchmark) await writeReportIfAvailable(engine.runDir, output);
  if (error !== undefined && teardownError !== undefined) {
    const t = teardownError as Error;
    const e = error as Error;
    // Both matter: the failure, and that something may be left behind.
    error = new ContinuumError('TEARDOWN_FAILED', `${e.message}\n...and then teardown failed: ${t.message}`, {
      hint: isContinuumError(t) ? (t.hint ?? '') : '',
      cause: error,
    });
  }
  const first = error ?? teardownError;
  return {
    results: engine.results,
    error:
      first === undefined ? undefined : first instanceof Error ? first : new Error(JSON.stringify(first)),
  };
}

export { renderResults };

/**
 * A run whose benchmark came back partial or failed did not succeed, even though every phase
 * returned: the caller exits non-zero with this error (results stay in the run directory).
 */
export function incompleteBenchmarkError(
  results: ResultsDocument,
  runDir: string,
): ContinuumError | undefined {
  if (results.status !== 'partial') return undefined;
  const problems = results.application?.problems ?? [];
  return new ContinuumError(
    'BENCHMARK_INCOMPLETE',
    `The benchmark did not complete (${results.application?.status ?? 'unknown'}): ${problems.length > 0 ? problems.join('; ') : 'see the results'}`,
    { hint: `Partial results are kept in ${runDir}; the debug log and per-node logs there say what failed.` },
  );
}

/**
 * report.html is rendered by src/report/ (maintained separately, may be absent in a build):
 * resolved at runtime, and a failing report never fails the run.
 */
async function writeReportIfAvailable(runDir: string, output: Output): Promise<void> {
  const specifier = '../report/index.js';
  let mod: { writeReport?: (runDir: string) => Promise<string> };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND')
      output.logger('core').warn(`report module failed to load: ${(error as Error).message}`);
    return;
  }
  if (typeof mod.writeReport !== 'function') return;
  try {
    const file = await mod.writeReport(runDir);
    output.logger('core').info(`report: ${file}`);
  } catch (error) {
    output.logger('core').warn(`could not write the report: ${(error as Error).message}`);
  }
}
