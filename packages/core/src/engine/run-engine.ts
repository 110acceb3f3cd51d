import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  Application,
  BenchmarkResult,
  Capability,
  Infrastructure,
  Json,
  Kind,
  Monitor,
  MonitorResult,
  Node,
  OperatingService,
  Outputs,
  Phase,
  PhaseEvent,
  Provider,
  ResourceManager,
  Topology,
  WorkloadRunner,
} from '@continuum/plugin-api';
import {
  abortError,
  ContinuumError,
  createProcessRunner,
  isContinuumError,
  KIND_ORDER,
  validateWithSchema,
} from '@continuum/plugin-api';
import { writeFileAtomic } from './atomic-file.js';
import type { ContinuumConfig } from './config-schema.js';
import { makeContext, memoryStore, stepStore, type RunScope } from './context.js';
import { hostInfo } from './host.js';
import { RunLock } from './lock.js';
import type { Output } from './output.js';
import type { Registry } from './registry.js';
import { writeResults, type PhaseTiming, type ResultsDocument } from './report.js';
import { newRunId, RUN_ID_PATTERN } from './run-id.js';
import { selectionsOf, stepId, type Selected } from './selection.js';
import { StateFile, type RunStatus, type StepRecord } from './state.js';

/** Observers of phase events besides monitors (the CLI passes oclif's `continuum:phase` hook). */
export type PhaseObserver = (event: PhaseEvent, run: { id: string; dir: string }) => Promise<void>;

export interface EngineOptions {
  /** The `--run-dir` base (default ./.continuum); runs live in `<base>/runs/<id>/`. */
  baseDir: string;
  output: Output;
  coreVersion: string;
  observer?: PhaseObserver;
  command: string;
}

/** Phases without a configurable timeout still get one, so nothing waits forever. */
const DEFAULT_TIMEOUT_S: Record<Phase, number> = {
  validate: 300,
  plan: 300,
  provision: 900,
  install: 1800,
  benchmark: 3600,
  collect: 600,
  teardown: 900,
};

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hash of the validated config: formatting and key order in the file do not change it. */
export function configHash(config: ContinuumConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

export const runsDir = (baseDir: string): string => join(resolve(baseDir), 'runs');

/** The run id `continuum down`/`bench`/`status` act on when none is given: `.continuum/current`. */
export function currentRunId(baseDir: string): string | undefined {
  try {
    const id = readFileSync(join(resolve(baseDir), 'current'), 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

export function listRunIds(baseDir: string): string[] {
  const dir = runsDir(baseDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => RUN_ID_PATTERN.test(d) && existsSync(join(dir, d, 'state.json')))
    .sort();
}

export function resolveRunDir(baseDir: string, runId: string | undefined): { id: string; dir: string } {
  const id = runId ?? currentRunId(baseDir);
  if (id === undefined) {
    throw new ContinuumError('RUN_NOT_FOUND', `No run given and no current run in ${resolve(baseDir)}.`, {
      hint: 'List runs with `continuum status` and pass a run id.',
    });
  }
  const dir = join(runsDir(baseDir), id);
  if (!existsSync(join(dir, 'state.json'))) {
    const known = listRunIds(baseDir);
    throw new ContinuumError('RUN_NOT_FOUND', `Run ${id} has no state in ${dir}.`, {
      hint:
        known.length > 0
          ? `Known runs: ${known.slice(-5).join(', ')} (see \`continuum status\`).`
          : `No runs in ${runsDir(baseDir)}; check --run-dir.`,
    });
  }
  return { id, dir };
}

/**
 * Drives one run: the fixed pipeline (provision → install → benchmark → collect), the write-ahead
 * state file, per-phase timeouts and cancellation, observers, results, and reverse teardown that
 * keeps going past errors. The same class re-opens a recorded run for `down`, `bench` and resume.
 */
export class RunEngine {
  readonly runId: string;
  readonly runDir: string;
  readonly state: StateFile;
  private readonly lock: RunLock;
  private readonly output: Output;
  private readonly options: EngineOptions;
  private readonly selected: Selected[];
  private readonly config: ContinuumConfig;
  private readonly topology: Topology;
  private readonly runAbort = new AbortController();
  private currentSignal: AbortSignal;
  private nodes: Node[] = [];
  private runner: WorkloadRunner | undefined;
  private readonly outputs: Outputs = { infrastructure: undefined, services: {}, cluster: undefined };
  private readonly scope: RunScope;
  readonly results: ResultsDocument;
  private window: { start: number; end: number } | undefined;
  interrupted = false;

  private constructor(args: {
    runId: string;
    runDir: string;
    state: StateFile;
    lock: RunLock;
    options: EngineOptions;
    selected: Selected[];
    config: ContinuumConfig;
    topology: Topology;
    configPath: string | undefined;
  }) {
    this.runId = args.runId;
    this.runDir = args.runDir;
    this.state = args.state;
    this.lock = args.lock;
    this.options = args.options;
    this.output = args.options.output;
    this.selected = args.selected;
    this.config = args.config;
    this.topology = args.topology;
    this.currentSignal = this.runAbort.signal;
    this.scope = {
      topology: this.topology,
      run: {
        id: this.runId,
        dir: this.runDir,
        startedAt: this.state.value.createdAt,
        configPath: args.configPath,
      },
      host: hostInfo(),
      output: this.output,
      outputs: this.outputs,
      signal: () => this.currentSignal,
      nodes: () => this.nodes,
      runner: () => this.runner,
    };
    const previous = readPreviousResults(this.runDir);
    this.results = {
      runId: this.runId,
      status: 'running',
      config: this.config,
      topology: this.topology,
      emulation: undefined,
      phases: [],
      application: undefined,
      monitors: {},
      errors: [],
      ...(previous ? { emulation: previous.emulation } : {}),
    };
  }

  /** A new run: id, directory, lock, state file, resolved config, debug log, `current` pointer. */
  static create(
    validated: { config: ContinuumConfig; topology: Topology; selected: Selected[] },
    configPath: string | undefined,
    options: EngineOptions,
    keep: boolean,
  ): RunEngine {
    const runId = newRunId();
    const runDir = join(runsDir(options.baseDir), runId);
    mkdirSync(join(runDir, 'logs'), { recursive: true });
    options.output.attachDebugLog(join(runDir, 'debug.log'));
    const lock = RunLock.acquire(runDir, options.command);
    const state = StateFile.create(runDir, {
      runId,
      coreVersion: options.coreVersion,
      configPath,
      configHash: configHash(validated.config),
      config: JSON.parse(JSON.stringify(validated.config)) as Json,
      topology: validated.topology,
      status: 'running',
      keep,
    });
    writeFileAtomic(join(runDir, 'config.resolved.json'), `${JSON.stringify(validated.config, null, 2)}\n`);
    writeFileAtomic(join(resolve(options.baseDir), 'current'), `${runId}\n`);
    const engine = new RunEngine({
      runId,
      runDir,
      state,
      lock,
      options,
      selected: validated.selected,
      config: validated.config,
      topology: validated.topology,
      configPath,
    });
    engine.log.info(`run ${runId} in ${runDir}`);
    return engine;
  }

  /**
   * Re-open a recorded run from its state file alone (for `down`, `bench`, `up --resume`): loads
   * the recorded plugins through the registry, upgrades state blobs, and takes the lock.
   * Plugins that are not installed any more are reported in `missing` (teardown skips them).
   */
  static async open(
    runId: string | undefined,
    registry: Registry,
    options: EngineOptions,
  ): Promise<{ engine: RunEngine; missing: string[] }> {
    const { id, dir } = resolveRunDir(options.baseDir, runId);
    options.output.attachDebugLog(join(dir, 'debug.log'));
    const lock = RunLock.acquire(dir, options.command);
    try {
      const state = StateFile.load(dir);
      const config = state.value.config as unknown as ContinuumConfig;
      const selections = selectionsOf(config);
      const selected: Selected[] = [];
      const missing: string[] = [];
      const wanted = new Map<
        string,
        { kind: Kind; name: string; path: (string | number)[]; options: unknown; plugin: string | undefined }
      >();
      for (const s of selections)
        wanted.set(stepId({ kind: s.kind, name: s.selection.use }), {
          kind: s.kind,
          name: s.selection.use,
          path: s.path,
          options: s.selection.options,
          plugin: undefined,
        });
      for (const step of state.steps) {
        const key = stepId(step);
        const w = wanted.get(key);
        wanted.set(key, {
          kind: step.kind,
          name: step.name,
          path: w?.path ?? [step.kind],
          options: w?.options ?? {},
          plugin: step.plugin,
        });
      }
      for (const w of wanted.values()) {
        const entry = registry.find(w.kind, w.name);
        const recorded = w.plugin;
        if (entry === undefined || entry.rejected !== undefined) {
          const step = state.findStep(w.kind, w.name);
          if (step !== undefined && step.status !== 'torn-down') {
            missing.push(
              `${w.kind} "${w.name}" needs ${recorded ?? 'its plugin'}${entry?.rejected ? ` (installed version rejected: ${entry.rejected})` : ''}: continuum plugins:install ${recorded ?? w.name}`,
            );
          }
          continue;
        }
        if (recorded !== undefined && recorded !== `${entry.pluginName}@${entry.pluginVersion}`) {
          options.output
            .logger('core')
            .warn(
              `${stepId(w)} was created by ${recorded}; using ${entry.pluginName}@${entry.pluginVersion} to manage it.`,
            );
        }
        let cap: Capability;
        try {
          cap = await registry.load(entry);
        } catch (error) {
          // A broken plugin must not stop the others from being torn down.
          const step = state.findStep(w.kind, w.name);
          if (step !== undefined && step.status !== 'torn-down')
            missing.push(`${stepId(w)}: ${(error as Error).message}`);
          continue;
        }
        let opts: unknown = w.options;
        if (cap.configSchema !== undefined) {
          const v = await validateWithSchema(cap.configSchema, w.options);
          if (v.ok) opts = v.value;
        }
        selected.push({ kind: w.kind, name: w.name, path: w.path, entry, cap, options: opts });
        const step = state.findStep(w.kind, w.name);
        if (
          step !== undefined &&
          cap.stateVersion !== undefined &&
          cap.upgradeState !== undefined &&
          step.state !== undefined &&
          (step.stateVersion ?? 1) !== cap.stateVersion
        ) {
          const upgraded = cap.upgradeState(step.state, step.stateVersion ?? 1) as Json;
          state.updateStep(step, { state: upgraded, stateVersion: cap.stateVersion });
        }
      }
      selected.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
      const engine = new RunEngine({
        runId: id,
        runDir: dir,
        state,
        lock,
        options,
        selected,
        config,
        topology: state.value.topology,
        configPath: state.value.configPath,
      });
      return { engine, missing };
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private get log(): ReturnType<Output['logger']> {
    return this.output.logger('core');
  }

  get keep(): boolean {
    return this.state.value.keep;
  }

  get hash(): string {
    return this.state.value.configHash;
  }

  get configPath(): string | undefined {
    return this.state.value.configPath;
  }

  get liveNodes(): readonly Node[] {
    return this.nodes;
  }

  /** First SIGINT/SIGTERM: cancel the current phase; teardown runs afterwards with its own signal. */
  interrupt(signal: string): void {
    this.interrupted = true;
    this.runAbort.abort(
      new ContinuumError('INTERRUPTED', `Interrupted by ${signal}.`, {
        hint: `State is kept in ${this.runDir}; \`continuum down ${this.runId}\` removes what is left.`,
      }),
    );
  }

  release(): void {
    this.lock.release();
  }

  setStatus(status: RunStatus): void {
    this.state.setStatus(status);
  }

  setKeep(keep: boolean): void {
    this.state.update((s) => {
      s.keep = keep;
    });
  }

  private of<K extends Kind>(kind: K): (Selected & { cap: Extract<Capability, { kind: K }> })[] {
    return this.selected.filter((s) => s.kind === kind) as (Selected & {
      cap: Extract<Capability, { kind: K }>;
    })[];
  }

  private stepContext(sel: Selected, step: StepRecord | undefined): ReturnType<typeof makeContext> {
    return makeContext(
      this.scope,
      sel,
      sel.options,
      step !== undefined ? stepStore(this.state, step, sel.cap) : memoryStore(),
    );
  }

  // ---------------------------------------------------------------- phases and observers

  private timeoutFor(phase: Phase): number {
    const configured = (this.config.run?.timeouts as Record<string, number> | undefined)?.[phase];
    return (configured ?? DEFAULT_TIMEOUT_S[phase]) * 1000;
  }

  /** Run one phase: before/after events, progress line, timing, timeout + Ctrl-C via AbortSignal. */
  async phase<T>(phase: Phase, label: string, body: () => Promise<T>): Promise<T> {
    const timing: PhaseTiming = { phase, startedAt: new Date().toISOString(), status: 'running' };
    this.results.phases.push(timing);
    const timeoutMs = this.timeoutFor(phase);
    const controller = new AbortController();
    const onRunAbort = (): void => controller.abort(this.runAbort.signal.reason);
    if (phase !== 'teardown') {
      if (this.runAbort.signal.aborted) onRunAbort();
      else this.runAbort.signal.addEventListener('abort', onRunAbort, { once: true });
    }
    const timer = setTimeout(() => {
      controller.abort(
        new ContinuumError('PHASE_TIMEOUT', `${phase} did not finish within ${timeoutMs / 1000} s.`, {
          hint: `Raise run.timeouts.${phase} in the config (seconds) if the phase legitimately needs longer.`,
        }),
      );
    }, timeoutMs);
    timer.unref();
    const previousSignal = this.currentSignal;
    this.currentSignal = controller.signal;
    await this.emit({ phase, when: 'before', time: Date.now(), runId: this.runId });
    this.output.phaseStart(label);
    try {
      const value = await raceAbort(body(), controller.signal);
      this.output.phaseEnd({ ok: true });
      timing.status = 'ok';
      return value;
    } catch (error) {
      this.output.phaseEnd({ ok: false });
      timing.status = 'failed';
      timing.error = (error as Error).message;
      throw error;
    } finally {
      clearTimeout(timer);
      this.runAbort.signal.removeEventListener('abort', onRunAbort);
      timing.endedAt = new Date().toISOString();
      timing.durationMs = Date.parse(timing.endedAt) - Date.parse(timing.startedAt);
      this.currentSignal = previousSignal;
      await this.emit({
        phase,
        when: 'after',
        time: Date.now(),
        runId: this.runId,
        ...(timing.error !== undefined ? { error: timing.error } : {}),
      });
      this.saveResults();
    }
  }

  /** Deliver a phase event to monitors (onPhase) and third-party observers. Never vetoes. */
  async emit(event: PhaseEvent): Promise<void> {
    for (const m of this.of('monitor')) {
      if (m.cap.onPhase === undefined) continue;
      try {
        const ctx = this.stepContext(m, this.state.findStep(m.kind, m.name));
        await withTimeout(m.cap.onPhase(ctx as never, event), 10_000, `monitor ${m.name} onPhase`);
      } catch (error) {
        this.log.warn(
          `monitor "${m.name}" observer failed on ${event.when} ${event.phase}: ${(error as Error).message}`,
        );
      }
    }
    if (this.options.observer !== undefined) {
      try {
        await this.options.observer(event, { id: this.runId, dir: this.runDir });
      } catch (error) {
        this.log.warn(`phase observer failed on ${event.when} ${event.phase}: ${(error as Error).message}`);
      }
    }
  }

  /** Call into a plugin, turning anything that is not a ContinuumError into a bug report naming it. */
  private async call<T>(sel: Selected, phase: Phase, what: string, fn: () => Promise<T>): Promise<T> {
    const label = `${sel.kind} "${sel.name}" (${sel.entry.pluginName}@${sel.entry.pluginVersion})`;
    this.log.debug(`${what}: ${label}`);
    try {
      return await fn();
    } catch (error) {
      if (isContinuumError(error)) {
        if (error.code === 'INTERRUPTED' || error.code === 'PHASE_TIMEOUT') throw error;
        throw new ContinuumError(error.code, `${label} failed during ${phase}: ${error.message}`, {
          ...(error.hint !== undefined ? { hint: error.hint } : {}),
          cause: error,
          details: { ...error.details, kind: sel.kind, name: sel.name, phase },
        });
      }
      const e = error as Error;
      this.log.debug(`stack of the ${label} failure: ${e.stack ?? String(error)}`);
      throw new ContinuumError(
        'PLUGIN_BUG',
        `${label} failed during ${phase} (${what}) with an unexpected error: ${e.message ?? String(error)}`,
        {
          hint: `This is a bug in ${sel.entry.pluginName}@${sel.entry.pluginVersion}; the stack is in ${join(this.runDir, 'debug.log')}.${bugsUrl(sel)}`,
          cause: error,
          details: { kind: sel.kind, name: sel.name, phase },
        },
      );
    }
  }

  /** Run a step: write `pending` BEFORE calling the plugin, then `done` + output, or `failed`. */
  private async step<T>(
    sel: Selected,
    phase: Phase,
    what: string,
    fn: (ctx: ReturnType<typeof makeContext>) => Promise<T>,
    toOutput: (value: T) => Json | undefined,
  ): Promise<T> {
    const step = this.state.beginStep({
      kind: sel.kind,
      name: sel.name,
      plugin: `${sel.entry.pluginName}@${sel.entry.pluginVersion}`,
      apiVersion: sel.cap.apiVersion,
      phase,
      ...(sel.cap.stateVersion !== undefined ? { stateVersion: sel.cap.stateVersion } : {}),
    });
    const ctx = this.stepContext(sel, step);
    try {
      const value = await this.call(sel, phase, what, () => fn(ctx));
      const output = toOutput(value);
      this.state.updateStep(step, {
        status: 'done',
        endedAt: new Date().toISOString(),
        ...(output !== undefined ? { output } : {}),
      });
      return value;
    } catch (error) {
      this.state.updateStep(step, {
        status: 'failed',
        endedAt: new Date().toISOString(),
        error: (error as Error).message,
      });
      throw error;
    }
  }

  private isDone(sel: Selected): StepRecord | undefined {
    const step = this.state.findStep(sel.kind, sel.name);
    return step?.status === 'done' ? step : undefined;
  }

  /** A step left pending/failed by an earlier process is torn down before it is created again. */
  private async clearUnfinished(sel: Selected): Promise<void> {
    const step = this.state.findStep(sel.kind, sel.name);
    if (step === undefined || step.status === 'done' || step.status === 'torn-down') return;
    this.log.info(`${stepId(sel)} was left ${step.status}; tearing it down before creating it again`);
    await this.teardownStep(sel, step);
  }

  // ---------------------------------------------------------------- pipeline

  async provision(): Promise<void> {
    const [provider] = this.of('provider');
    if (provider === undefined)
      throw new ContinuumError('CONFIG_INVALID', 'No provider selected.', {
        hint: 'Add `provider: { use: local }` to the config.',
      });
    await this.phase(
      'provision',
      `provision (provider ${provider.name}, ${this.topology.nodes.length} node${this.topology.nodes.length === 1 ? '' : 's'})`,
      async () => {
        const done = this.isDone(provider);
        if (done?.output !== undefined) {
          this.log.info(`provider "${provider.name}" already provisioned; re-attaching`);
          await this.attach();
          return;
        }
        await this.clearUnfinished(provider);
        const cap = provider.cap as Provider;
        await this.step(
          provider,
          'provision',
          'provision',
          (ctx) => cap.provision(ctx as never),
          (infra) => infra as unknown as Json,
        );
        await this.attach();
      },
    );
  }

  /** Live node handles from the recorded infrastructure (also in a new process). */
  async attach(): Promise<void> {
    const [provider] = this.of('provider');
    const step = provider === undefined ? undefined : this.state.findStep('provider', provider.name);
    if (provider === undefined || step?.output === undefined) return;
    const infra = step.output as unknown as Infrastructure;
    this.outputs.infrastructure = infra;
    this.results.emulation = infra.emulation;
    const cap = provider.cap as Provider;
    this.nodes = await this.call(provider, 'provision', 'attach', () =>
      cap.attach(
        this.stepContext(provider, step) as never,
        JSON.parse(JSON.stringify(infra)) as Infrastructure,
      ),
    );
    this.log.debug(
      `attached ${this.nodes.length} nodes: ${this.nodes.map((n) => `${n.name}=${n.address}`).join(', ')}`,
    );
    for (const w of infra.emulation?.warnings ?? []) this.log.warn(`emulation: ${w}`);
  }

  /** Outputs of steps done by an earlier process, and the workload runner. */
  private restoreOutputs(): void {
    for (const s of this.of('operating-service')) {
      const step = this.isDone(s);
      if (step?.output !== undefined) this.outputs.services[s.name] = step.output;
    }
    for (const rm of this.of('resource-manager')) {
      const step = this.isDone(rm);
      if (step !== undefined) this.outputs.cluster = step.output;
    }
  }

  private makeRunner(): void {
    const [rm] = this.of('resource-manager');
    if (rm !== undefined && this.outputs.cluster !== undefined) {
      const step = this.state.findStep(rm.kind, rm.name);
      this.runner = (rm.cap as ResourceManager).runner(this.stepContext(rm, step), this.outputs.cluster);
    } else {
      this.runner = createProcessRunner(this.nodes, { logDir: join(this.runDir, 'logs') });
    }
  }

  async install(): Promise<void> {
    const services = this.of('operating-service');
    const rms = this.of('resource-manager');
    const monitors = this.of('monitor');
    this.restoreOutputs();
    const names = [...services, ...rms, ...monitors].map((s) => s.name);
    if (names.length === 0) {
      this.makeRunner();
      return;
    }
    await this.phase('install', `install (${names.join(', ')})`, async () => {
      for (const s of services) {
        if (this.isDone(s) !== undefined) continue;
        await this.clearUnfinished(s);
        const out = await this.step(
          s,
          'install',
          'install',
          (ctx) => (s.cap as OperatingService).install(ctx as never),
          (v) => v,
        );
        this.outputs.services[s.name] = out;
      }
      for (const rm of rms) {
        if (this.isDone(rm) !== undefined) continue;
        await this.clearUnfinished(rm);
        this.outputs.cluster = await this.step(
          rm,
          'install',
          'install',
          (ctx) => (rm.cap as ResourceManager).install(ctx as never),
          (v) => v,
        );
      }
      this.makeRunner();
      for (const m of monitors) {
        if (this.isDone(m) !== undefined) continue;
        await this.clearUnfinished(m);
        await this.step(
          m,
          'install',
          'install',
          (ctx) => (m.cap as Monitor).install(ctx as never),
          (v) => v,
        );
      }
    });
  }

  /** For a kept run in a new process: re-attach nodes, restore outputs, build the runner. */
  async reattach(): Promise<void> {
    await this.attach();
    this.restoreOutputs();
    this.makeRunner();
  }

  async benchmark(): Promise<BenchmarkResult | undefined> {
    const [app] = this.of('application');
    if (app === undefined) return undefined;
    // A previous `bench` on a kept run leaves its application step: clean it before running again.
    const previous = this.state.findStep(app.kind, app.name);
    if (previous !== undefined && previous.status !== 'torn-down') await this.teardownStep(app, previous);
    const cap = app.cap as Application;
    return this.phase('benchmark', `benchmark (application ${app.name})`, async () => {
      const result = await this.step(
        app,
        'benchmark',
        'deploy + benchmark',
        async (ctx) => {
          if (cap.deploy !== undefined) await cap.deploy(ctx);
          const start = Date.now();
          this.window = { start, end: start };
          try {
            return await cap.benchmark(ctx);
          } finally {
            this.window = { start, end: Date.now() };
          }
        },
        (r) => ({ status: r.status }),
      );
      this.results.application = { name: app.name, ...result };
      if (result.status !== 'ok')
        this.log.warn(
          `application "${app.name}" finished with status ${result.status}${result.problems?.length ? `: ${result.problems.join('; ')}` : ''}`,
        );
      return result;
    });
  }

  async collect(): Promise<void> {
    const monitors = this.of('monitor');
    if (monitors.length === 0) return;
    const window = this.window ?? { start: Date.parse(this.state.value.createdAt), end: Date.now() };
    await this.phase('collect', `collect (${monitors.map((m) => m.name).join(', ')})`, async () => {
      const failures: string[] = [];
      for (const m of monitors) {
        const step = this.state.findStep(m.kind, m.name);
        try {
          const result: MonitorResult = await this.call(m, 'collect', 'collect', () =>
            (m.cap as Monitor).collect(this.stepContext(m, step) as never, window),
          );
          this.results.monitors[m.name] = result;
          this.saveResults();
        } catch (error) {
          if (isContinuumError(error) && (error.code === 'INTERRUPTED' || error.code === 'PHASE_TIMEOUT'))
            throw error;
          failures.push((error as Error).message);
          this.log.error((error as Error).message);
        }
      }
      if (failures.length > 0)
        throw new ContinuumError('COLLECT_FAILED', failures.join('\n'), {
          hint: 'Results of the other monitors and of the application are kept.',
        });
    });
  }

  // ---------------------------------------------------------------- teardown

  private async teardownStep(sel: Selected, step: StepRecord): Promise<void> {
    const ctx = this.stepContext(sel, step);
    await this.call(sel, 'teardown', 'teardown', () => sel.cap.teardown(ctx as never));
    this.state.updateStep(step, { status: 'torn-down', endedAt: new Date().toISOString() });
  }

  /**
   * Tear down every recorded step that is not torn down yet (pending and failed ones too: they
   * may have half-created resources), in reverse order, continuing past errors. Throws
   * TEARDOWN_FAILED listing every failure.
   */
  async teardown(missing: readonly string[] = []): Promise<void> {
    const steps = [...this.state.steps].reverse().filter((s) => s.status !== 'torn-down');
    const errors: string[] = [...missing];
    if (steps.length === 0 && errors.length === 0) {
      this.setStatus('torn-down');
      return;
    }
    try {
      await this.phase('teardown', `teardown (${steps.map((s) => s.name).join(', ')})`, async () => {
        for (const step of steps) {
          const sel = this.selected.find((s) => s.kind === step.kind && s.name === step.name);
          if (sel === undefined) continue; // reported in `missing`
          try {
            await this.teardownStep(sel, step);
            this.log.debug(`tore down ${stepId(step)}`);
          } catch (error) {
            const message = (error as Error).message;
            errors.push(message);
            this.state.updateStep(step, { teardownError: message });
            this.log.error(message);
          }
        }
        for (const node of this.nodes) await node.dispose?.().catch(() => undefined);
        if (errors.length > 0)
          throw new ContinuumError(
            'TEARDOWN_FAILED',
            `Teardown of run ${this.runId} left ${errors.length} problem${errors.length === 1 ? '' : 's'}:\n  - ${errors.join('\n  - ')}`,
            {
              hint: `Fix the cause and run \`continuum down ${this.runId}${this.options.baseDir !== '.continuum' ? ` --run-dir ${this.options.baseDir}` : ''}\` again; it retries what is left.`,
            },
          );
      });
      this.results.teardown = { ok: true, errors: [] };
      this.setStatus('torn-down');
    } catch (error) {
      this.results.teardown = { ok: false, errors: errors.length > 0 ? errors : [(error as Error).message] };
      this.setStatus('teardown-failed');
      if (isContinuumError(error) && error.code === 'TEARDOWN_FAILED') throw error;
      throw new ContinuumError(
        'TEARDOWN_FAILED',
        `Teardown of run ${this.runId} failed: ${(error as Error).message}`,
        { hint: `Run \`continuum down ${this.runId}\` to retry.`, cause: error },
      );
    } finally {
      this.saveResults();
    }
  }

  /** Close connections to nodes without destroying anything (kept runs). */
  async dispose(): Promise<void> {
    for (const node of this.nodes) await node.dispose?.().catch(() => undefined);
  }

  // ---------------------------------------------------------------- results

  recordError(error: unknown): void {
    const e = error as Error;
    this.results.errors.push({
      code: isContinuumError(error) ? error.code : 'ERROR',
      message: e.message,
      ...(isContinuumError(error) && error.hint ? { hint: error.hint } : {}),
    });
  }

  finishResults(status: ResultsDocument['status']): void {
    this.results.status = status;
    this.saveResults();
  }

  saveResults(): void {
    try {
      writeResults(this.runDir, this.results);
    } catch (error) {
      this.log.warn(`could not write results: ${(error as Error).message}`);
    }
  }
}

function readPreviousResults(runDir: string): ResultsDocument | undefined {
  try {
    return JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as ResultsDocument;
  } catch {
    return undefined;
  }
}

function bugsUrl(sel: Selected): string {
  return sel.entry.pluginType === 'core' || sel.entry.pluginType === 'dev'
    ? ''
    : ` Report it to the plugin's authors (${sel.entry.pluginName}).`;
}

/** Reject as soon as the signal aborts, even if the plugin ignores the signal. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new ContinuumError('OBSERVER_TIMEOUT', `${what} took longer than ${ms / 1000} s`)),
    ms,
  );
  timer.unref();
  return raceAbort(promise, controller.signal).finally(() => clearTimeout(timer));
}
