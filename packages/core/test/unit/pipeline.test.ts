// vitest asymmetric matchers (expect.objectContaining …) are typed `any`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Capability, Infrastructure, PhaseEvent } from '@continuum/plugin-api';
import {
  abortError,
  ContinuumError,
  createHostNode,
  defineApplication,
  defineMonitor,
  defineOperatingService,
  defineProvider,
  defineResourceManager,
  createProcessRunner,
} from '@continuum/plugin-api';
import { configSchema } from '../../src/engine/config-schema.js';
import { Output } from '../../src/engine/output.js';
import type { CapabilityEntry } from '../../src/engine/registry.js';
import { RunEngine } from '../../src/engine/run-engine.js';
import { runFlow } from '../../src/engine/run-flow.js';
import type { Selected } from '../../src/engine/selection.js';
import type { RunState } from '../../src/engine/state.js';
import { resolveTopology } from '../../src/engine/topology.js';
import { tempDir } from '../helpers/tmp.js';

type Calls = string[];

const readState = (dir: string): RunState =>
  JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunState;

function fakes(calls: Calls, behaviour: Record<string, 'fail' | 'bug' | 'hang' | 'teardown-fail'> = {}) {
  const act = async (id: string, signal?: AbortSignal): Promise<void> => {
    calls.push(id);
    const b = behaviour[id];
    if (b === 'fail') throw new ContinuumError('FAKE', `${id} failed`);
    if (b === 'bug') throw new TypeError(`${id} exploded`);
    if (b === 'hang') await new Promise<never>(() => undefined); // ignores the signal on purpose
    void signal;
  };
  const td = (id: string, ctx: { state: { get(): unknown } }): Promise<void> => {
    calls.push(`${id}.teardown(${JSON.stringify(ctx.state.get() ?? null)})`);
    if (behaviour[`${id}.teardown`] === 'teardown-fail')
      return Promise.reject(new ContinuumError('FAKE', `${id} teardown failed`));
    return Promise.resolve();
  };
  const provider = defineProvider<Record<string, unknown>, { created: boolean }>({
    name: 'p',
    async provision(ctx) {
      await ctx.state.set({ created: true });
      await act('provision', ctx.signal);
      const infra: Infrastructure = {
        provider: 'p',
        nodes: ctx.topology.nodes.map((n) => ({
          name: n.name,
          tier: n.tier,
          role: n.role,
          address: '127.0.0.1',
          limits: n.limits,
          access: { kind: 'process', shell: 'sh' },
          sharesHostFilesystem: true,
        })),
        emulation: { backend: 'none', measurements: [], warnings: [] },
        details: {},
      };
      return infra;
    },
    async attach(_ctx, infra) {
      await act('attach');
      return infra.nodes.map((n) => createHostNode(n));
    },
    teardown: (ctx) => td('provision', ctx),
  });
  const os = defineOperatingService<unknown, { x: number }>({
    name: 'os',
    async install(ctx) {
      await ctx.state.set({ x: 1 });
      await act('os.install');
      return { url: 'x' };
    },
    teardown: (ctx) => td('os', ctx),
  });
  const rm = defineResourceManager({
    name: 'rm',
    usesController: false,
    async install(ctx) {
      await act('rm.install');
      return { nodes: ctx.nodes.length };
    },
    runner(ctx, cluster) {
      calls.push(`rm.runner(${JSON.stringify(cluster)})`);
      return createProcessRunner(ctx.nodes, { logDir: join(ctx.run.dir, 'logs') });
    },
    teardown: (ctx) => td('rm', ctx),
  });
  const events: PhaseEvent[] = [];
  const monitor = defineMonitor({
    name: 'mon',
    async install() {
      await act('mon.install');
      return {};
    },
    onPhase(_ctx, event) {
      events.push(event);
      return Promise.resolve();
    },
    async collect(_ctx, window) {
      await act('mon.collect');
      return { summary: { windowMs: window.end - window.start } };
    },
    teardown: (ctx) => td('mon', ctx),
  });
  const app = defineApplication<unknown, { deployed: boolean }>({
    name: 'app',
    async deploy(ctx) {
      await ctx.state.set({ deployed: true });
      await act('app.deploy');
    },
    async benchmark(ctx) {
      await act('app.benchmark', ctx.signal);
      expect(ctx.outputs.services['os']).toEqual({ url: 'x' });
      expect(ctx.runner).toBeDefined();
      return {
        status: 'ok',
        tables: [{ id: 't', title: 'T', columns: ['a'], rows: [[1]] }],
        summary: { n: ctx.nodes.length },
      };
    },
    teardown: (ctx) => td('app', ctx),
  });
  return { caps: [provider, os, rm, monitor, app] as Capability[], events };
}

function setup(caps: Capability[], runOverrides: Record<string, unknown> = {}) {
  const base = tempDir('continuum-pipe-');
  const config = configSchema.parse({
    infrastructure: {
      cloud: { nodes: 1, cores: 1, memory: 1, quota: 1 },
      endpoint: { nodes: 1, cores: 1, memory: 1, quota: 1 },
    },
    provider: { use: 'p' },
    services: [{ use: 'os' }],
    resourceManager: { use: 'rm' },
    monitors: [{ use: 'mon' }],
    application: { use: 'app' },
    run: runOverrides,
  });
  const selected: Selected[] = caps.map((cap) => {
    const entry: CapabilityEntry = {
      kind: cap.kind,
      name: cap.name,
      entry: './x.js',
      description: undefined,
      pluginName: `pkg-${cap.name}`,
      pluginVersion: '1.2.3',
      pluginType: 'user',
      root: base,
      apiVersion: 1,
    };
    return { kind: cap.kind, name: cap.name, path: [cap.kind], entry, cap, options: {} };
  });
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const output = new Output({ verbose: false, json: false, tty: false, stream });
  const observed: PhaseEvent[] = [];
  const engine = RunEngine.create(
    { config, topology: resolveTopology(config, false), selected },
    undefined,
    {
      baseDir: base,
      output,
      coreVersion: '0.0.0-test',
      command: 'test',
      observer: (event) => {
        observed.push(event);
        if (event.phase === 'install' && event.when === 'after')
          return Promise.reject(new Error('observer exploded'));
        return Promise.resolve();
      },
    },
    false,
  );
  return { engine, output, observed, terminal: () => text, selected };
}

const ALL = { validate: true, plan: true, provision: true, install: true, benchmark: true, collect: true };

describe('pipeline', () => {
  it('runs kinds in order, tears down in reverse, delivers before/after events, tolerates observer failures', async () => {
    const calls: Calls = [];
    const { caps, events } = fakes(calls);
    const { engine, output, observed, terminal, selected } = setup(caps);
    const { results, error } = await runFlow(engine, output, ALL, false, selected);
    expect(error).toBeUndefined();
    expect(calls).toEqual([
      'provision',
      'attach',
      'os.install',
      'rm.install',
      'rm.runner({"nodes":2})',
      'mon.install',
      'app.deploy',
      'app.benchmark',
      'mon.collect',
      'app.teardown({"deployed":true})',
      'mon.teardown(null)',
      'rm.teardown(null)',
      'os.teardown({"x":1})',
      'provision.teardown({"created":true})',
    ]);
    const phases = ['validate', 'plan', 'provision', 'install', 'benchmark', 'collect', 'teardown'];
    expect(observed.map((e) => `${e.when}:${e.phase}`)).toEqual(
      phases.flatMap((p) => [`before:${p}`, `after:${p}`]),
    );
    expect(events.length).toBe(observed.length);
    expect(terminal()).toMatch(/warning: phase observer failed on after install: observer exploded/);
    expect(results.status).toBe('ok');
    expect(results.application?.tables[0]?.rows).toEqual([[1]]);
    expect(results.monitors['mon']?.summary?.['windowMs']).toBeGreaterThanOrEqual(0);
    const state = readState(engine.runDir);
    expect(state.status).toBe('torn-down');
    expect(state.steps.map((s) => s.status)).toEqual(Array(5).fill('torn-down'));
    expect(readFileSync(join(engine.runDir, 't.csv'), 'utf8')).toBe('a\n1\n');
    expect(readFileSync(join(engine.runDir, 'debug.log'), 'utf8')).toMatch(/INFO +\[core\] run /);
  });

  it('records a step as pending before the plugin runs (write-ahead)', async () => {
    const calls: Calls = [];
    const { caps } = fakes(calls);
    const provider = caps[0] as ReturnType<typeof defineProvider>;
    let seen: unknown;
    const spy = defineProvider({
      ...provider,
      name: 'p',
      async provision(ctx) {
        seen = readState(ctx.run.dir).steps[0];
        return provider.provision(ctx);
      },
    });
    const { engine, output, selected } = setup([spy, ...caps.slice(1)]);
    await runFlow(engine, output, ALL, false, selected);
    expect(seen).toMatchObject({ kind: 'provider', name: 'p', plugin: 'pkg-p@1.2.3', status: 'pending' });
  });

  it('on a failing install tears down what exists (failed step included), continuing past teardown errors', async () => {
    const calls: Calls = [];
    const { caps } = fakes(calls, { 'rm.install': 'fail', 'os.teardown': 'teardown-fail' });
    const { engine, output, selected } = setup(caps);
    const { error, results } = await runFlow(engine, output, ALL, false, selected);
    expect(calls.slice(-3)).toEqual([
      'rm.teardown(null)',
      'os.teardown({"x":1})',
      'provision.teardown({"created":true})',
    ]);
    expect(error).toMatchObject({ code: 'TEARDOWN_FAILED' });
    expect((error as Error).message).toMatch(
      /resource-manager "rm" \(pkg-rm@1\.2\.3\) failed during install: rm\.install failed[\s\S]*teardown failed[\s\S]*os teardown failed/,
    );
    expect(results.status).toBe('failed');
    const state = readState(engine.runDir);
    expect(state.status).toBe('teardown-failed');
    expect(state.steps.find((s) => s.name === 'os')).toMatchObject({
      status: 'done',
      teardownError: expect.stringContaining('os teardown failed'),
    });
  });

  it('reports unexpected throws as a bug in plugin@version', async () => {
    const calls: Calls = [];
    const { caps } = fakes(calls, { 'app.benchmark': 'bug' });
    const { engine, output, selected } = setup(caps);
    const { error, results } = await runFlow(engine, output, ALL, false, selected);
    expect(error).toMatchObject({
      code: 'PLUGIN_BUG',
      message: expect.stringContaining('application "app" (pkg-app@1.2.3) failed during benchmark'),
    });
    expect(results.errors[0]?.code).toBe('PLUGIN_BUG');
    expect(calls).toContain('provision.teardown({"created":true})');
  });

  it('enforces the phase timeout even when a plugin ignores its signal, then tears down', async () => {
    const calls: Calls = [];
    const { caps } = fakes(calls, { provision: 'hang' });
    const { engine, output, selected } = setup(caps, { timeouts: { provision: 0.3 } });
    const started = Date.now();
    const { error } = await runFlow(engine, output, ALL, false, selected);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toMatchObject({
      code: 'PHASE_TIMEOUT',
      hint: expect.stringContaining('run.timeouts.provision'),
    });
    expect(calls).toEqual(['provision', 'provision.teardown({"created":true})']);
  });

  it('cancels the current phase on interrupt and still tears down', async () => {
    const calls: Calls = [];
    const { caps } = fakes(calls, { 'app.benchmark': 'hang' });
    const { engine, output, selected } = setup(caps);
    const timer = setInterval(() => {
      if (calls.includes('app.benchmark')) {
        clearInterval(timer);
        engine.interrupt('SIGINT');
      }
    }, 20);
    const { error, results } = await runFlow(engine, output, ALL, false, selected);
    expect(error).toMatchObject({ code: 'INTERRUPTED' });
    expect(results.status).toBe('interrupted');
    expect(calls.at(-1)).toBe('provision.teardown({"created":true})');
  });

  it('keeps the run when asked, and a new engine tears it down from state alone', async () => {
    const calls: Calls = [];
    const { caps } = fakes(calls);
    const { engine, output, selected } = setup(caps);
    const { error } = await runFlow(engine, output, { provision: true, install: true }, true, selected);
    expect(error).toBeUndefined();
    expect(calls.some((c) => c.includes('teardown'))).toBe(false);
    expect(readState(engine.runDir).status).toBe('up');
    const registry = {
      find: (kind: string, name: string) => selected.find((s) => s.kind === kind && s.name === name)?.entry,
      load: (entry: CapabilityEntry) => Promise.resolve(selected.find((s) => s.entry === entry)!.cap),
    };
    const { engine: again, missing } = await RunEngine.open(engine.runId, registry as never, {
      baseDir: join(engine.runDir, '..', '..'),
      output,
      coreVersion: '0',
      command: 'down',
    });
    expect(missing).toEqual([]);
    await again.reattach();
    await again.teardown();
    again.release();
    expect(calls.slice(-4)).toEqual([
      'mon.teardown(null)',
      'rm.teardown(null)',
      'os.teardown({"x":1})',
      'provision.teardown({"created":true})',
    ]);
  });
});

describe('resume', () => {
  it('tears down a step left pending by a crashed process before creating it again, and skips done steps', async () => {
    const calls: Calls = [];
    const { caps } = fakes(calls);
    const { engine, output, selected } = setup(caps);
    // A crash during install: provider done, service pending (with state), nothing else.
    await runFlow(engine, output, { provision: true }, true, selected);
    const os = selected.find((s) => s.name === 'os')!;
    const pending = engine.state.beginStep({
      kind: os.kind,
      name: os.name,
      plugin: 'pkg-os@1.2.3',
      apiVersion: 1,
      phase: 'install',
    });
    engine.state.updateStep(pending, { state: { x: 0 } });
    calls.length = 0;
    const registry = {
      find: (kind: string, name: string) => selected.find((s) => s.kind === kind && s.name === name)?.entry,
      load: (entry: CapabilityEntry) => Promise.resolve(selected.find((s) => s.entry === entry)!.cap),
    };
    const { engine: resumed } = await RunEngine.open(engine.runId, registry as never, {
      baseDir: join(engine.runDir, '..', '..'),
      output,
      coreVersion: '0',
      command: 'up --resume',
    });
    const { error } = await runFlow(resumed, output, { provision: true, install: true }, true, selected);
    expect(error).toBeUndefined();
    expect(calls).toEqual([
      'attach',
      'os.teardown({"x":0})',
      'os.install',
      'rm.install',
      'rm.runner({"nodes":2})',
      'mon.install',
    ]);
    expect(readState(resumed.runDir).steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'p:done',
      'os:done',
      'rm:done',
      'mon:done',
    ]);
  });
});

describe('abort helper', () => {
  it('turns a ContinuumError reason into itself', () => {
    const c = new AbortController();
    c.abort(new ContinuumError('INTERRUPTED', 'x'));
    expect(abortError(c.signal).code).toBe('INTERRUPTED');
  });
});
