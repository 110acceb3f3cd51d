import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Cell, Context, Json, MonitorResult, Node, PhaseEvent, Series } from '@continuum/plugin-api';
import { ContinuumError, isSameProcessRunning, stopHostProcess } from '@continuum/plugin-api';
import { hostSource, nodeSources } from './cpu-sources.js';
import { freePort, startDaemon, waitHttpReady } from '@continuum/plugin-api';
import { energyPerPhase, phaseSpans, powerIntervals } from './energy.js';
import { resolveOptions, type ScaphandreOptions } from './options.js';
import { estimateLabel, modelPower } from './power-model.js';
import { EnergySampler, readReadings, samplers } from './sampler.js';
import {
  guestExporterCommand,
  hostExporterCommand,
  parseScaphandrePower,
  probeBinary,
  probeRapl,
  qemuExporterCommand,
} from './scaphandre.js';
import type { ScaphandreState } from './state.js';

export type Ctx = Context<ScaphandreOptions, ScaphandreState>;

/** Decide the source by trying: scaphandre must run and RAPL must be readable. */
export async function decideSource(
  options: ScaphandreOptions,
  probes = { rapl: probeRapl, binary: probeBinary },
): Promise<{ source: 'scaphandre' | 'estimate'; why: string }> {
  if (options.mode === 'estimate') return { source: 'estimate', why: 'mode: estimate' };
  const rapl = probes.rapl(options.raplCounter);
  const bin = await probes.binary(options.binary);
  if (rapl.ok && bin.ok) return { source: 'scaphandre', why: `${bin.version}, RAPL readable` };
  const why = [!bin.ok ? bin.reason : '', !rapl.ok ? rapl.reason : ''].filter(Boolean).join('; ');
  if (options.mode === 'scaphandre')
    throw new ContinuumError('ENERGY_UNAVAILABLE', `scaphandre cannot measure here: ${why}`, {
      hint: 'Use mode: auto (labeled estimate) or run on a host with RAPL and scaphandre installed.',
    });
  return { source: 'estimate', why };
}

async function fetchPower(url: string): Promise<number | null> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
  return parseScaphandrePower(await res.text());
}

/** The in-process sampler of this run (created on first use in this process). */
function samplerFor(ctx: Ctx, state: ScaphandreState): EnergySampler {
  let sampler = samplers.get(ctx.run.id);
  if (sampler !== undefined) return sampler;
  const options = resolveOptions(ctx.config);
  const power = new Map<string, () => Promise<number | null>>();
  if (state.source === 'scaphandre') {
    const host = state.exporters.find((e) => e.role === 'host')?.url;
    if (host !== undefined) power.set('host', () => fetchPower(host));
    for (const [node, g] of Object.entries(state.guests))
      if (g.mounted && g.url !== undefined) power.set(node, () => fetchPower(g.url as string));
  }
  sampler = new EnergySampler(
    [hostSource(), ...nodeSources(ctx.nodes)],
    Math.round(options.sampleIntervalS * 1000),
    state.samplesFile,
    power,
  );
  samplers.set(ctx.run.id, sampler);
  return sampler;
}

export async function install(ctx: Ctx): Promise<Json> {
  const options = resolveOptions(ctx.config);
  const decided = await decideSource(options);
  const state: ScaphandreState = {
    source: decided.source,
    label:
      decided.source === 'scaphandre'
        ? `measured: scaphandre (RAPL); ${decided.why}`
        : estimateLabel(options.powerModel, decided.why),
    exporters: [],
    guests: {},
    phases: [],
    samplesFile: join(ctx.workDir, 'energy-samples.jsonl'),
  };
  await ctx.state.set(structuredClone(state));
  if (decided.source === 'scaphandre') await startExporters(ctx, options, state);
  ctx.log.info(`energy source: ${state.label}`);
  samplerFor(ctx, state).start();
  return {
    source: state.source,
    label: state.label,
    exporters: state.exporters.map((e) => ({ role: e.role, url: e.url ?? null })),
  };
}

/** Host exporters (write-ahead, then PID), and per-VM guest exporters where the share is mounted. */
async function startExporters(ctx: Ctx, options: ScaphandreOptions, state: ScaphandreState): Promise<void> {
  const vms = ctx.nodes.filter((n) => !n.sharesHostFilesystem);
  const port = await freePort();
  const wanted = [
    { role: 'host', command: hostExporterCommand(options.binary, port), url: `http://127.0.0.1:${port}` },
    ...(vms.length > 0 ? [{ role: 'qemu', command: qemuExporterCommand(options.binary) }] : []),
  ];
  for (const w of wanted) {
    const record = {
      role: w.role,
      command: w.command,
      logFile: join(ctx.workDir, `scaphandre-${w.role}.log`),
      ...(w.url !== undefined ? { url: w.url } : {}),
    };
    state.exporters.push(record);
    await ctx.state.set(structuredClone(state));
    const ref = await startDaemon(w.command, { logFile: record.logFile });
    Object.assign(record, { ref });
    await ctx.state.set(structuredClone(state));
    if (w.url !== undefined) {
      const ready = await waitHttpReady(`${w.url}/metrics`, ref, 15000, ctx.signal);
      if (!ready.ok) ctx.log.warn(`scaphandre ${w.role} exporter is not serving: ${ready.reason}`);
    }
  }
  for (const vm of vms) state.guests[vm.name] = await startGuestExporter(vm, options);
  await ctx.state.set(structuredClone(state));
}

async function startGuestExporter(
  vm: Node,
  options: ScaphandreOptions,
): Promise<ScaphandreState['guests'][string]> {
  const mounted =
    (
      await vm
        .exec(['mountpoint', '-q', options.qemu.guestMount], { check: false, timeoutMs: 10000 })
        .catch(() => ({ exitCode: 1 }))
    ).exitCode === 0;
  if (!mounted) return { mounted: false };
  const proc = await vm.spawn(guestExporterCommand(options.binary, options.qemu.guestExporterPort), {
    logFile: '/tmp/continuum-scaphandre-guest.log',
    detached: true,
    limited: false,
  });
  return { mounted: true, url: `http://${vm.address}:${options.qemu.guestExporterPort}`, ref: proc.ref };
}

export async function onPhase(ctx: Ctx, event: PhaseEvent): Promise<void> {
  const state = ctx.state.get();
  if (state?.samplesFile === undefined) return; // before install
  const next = structuredClone(state);
  next.phases.push({ phase: event.phase, when: event.when, time: event.time });
  await ctx.state.set(next);
  if (event.phase === 'teardown') return;
  const sampler = samplerFor(ctx, next);
  // A reading exactly at each boundary, so phases are covered to the edge.
  await sampler.sample();
  sampler.start();
}

export async function collect(ctx: Ctx, window: { start: number; end: number }): Promise<MonitorResult> {
  const options = resolveOptions(ctx.config);
  const state = ctx.state.get();
  if (state?.samplesFile === undefined)
    return { notes: ['energy monitor: nothing installed, no energy data'] };
  const sampler = samplers.get(ctx.run.id);
  if (sampler !== undefined) {
    await sampler.sample();
    await sampler.stop();
  }
  const readings = sampler?.readings.length ? sampler.readings : readReadings(state.samplesFile);
  const now = Date.now();
  const hostCores = ctx.host.cores;
  const intervals = powerIntervals(readings, (source, busy) =>
    modelPower(options.powerModel, source === 'host' ? Math.min(busy, hostCores) : busy, source === 'host'),
  );
  let spans = phaseSpans(state.phases, now).filter((p) => p.phase !== 'teardown');
  if (!spans.some((p) => p.phase === 'benchmark'))
    spans = [{ phase: 'benchmark', start: window.start, end: window.end }, ...spans];
  const rows = energyPerPhase(intervals, spans);
  const label = state.label;
  const notes = [`energy source: ${label}`];
  if (state.source === 'estimate')
    notes.push(
      'Energy values are ESTIMATES from CPU time and the configured power model, not measurements (no scaphandre/RAPL here).',
    );
  notes.push(
    '"host" is the whole machine (every process on it, not only this run); node rows are the nodes\' own processes.',
  );
  for (const [node, g] of Object.entries(state.guests))
    if (!g.mounted)
      notes.push(
        `${node}: no virtiofs share at ${options.qemu.guestMount} in the guest, its energy is estimated (the provider must add the share at VM creation)`,
      );
  for (const e of state.exporters)
    if (e.ref !== undefined && !isSameProcessRunning(e.ref))
      notes.push(
        `MISSING: scaphandre ${e.role} exporter exited during the run (log ${e.logFile}); intervals after that use the power model`,
      );
  for (const [source, error] of sampler?.errors ?? [])
    notes.push(`MISSING: readings of ${source} failed: ${error}`);
  const mixed = rows.filter(
    (r) => r.basis === 'mixed' || (state.source === 'scaphandre' && r.basis === 'estimate'),
  );
  if (mixed.length > 0)
    notes.push(
      `some intervals fell back to the power model (${[...new Set(mixed.map((r) => r.source))].join(', ')})`,
    );

  const basisLabel = (b: string): string =>
    b === 'measured' ? 'scaphandre' : b === 'estimate' ? 'estimate (cpu-time model)' : b;
  const table: Cell[][] = rows.map((r) => [
    r.source,
    r.phase,
    r.durationS,
    r.cpuSeconds,
    r.energyJ,
    r.meanPowerW,
    r.coverage,
    basisLabel(r.basis),
  ]);
  const series: Series[] = [...intervals].map(([source, pts]) => ({
    id: `power-${source}`,
    title: `Power ${source} (${state.source === 'scaphandre' ? 'scaphandre' : 'estimate'})`,
    unit: 'W',
    group: 'power',
    points: pts.map((p) => [p.t1, Math.round(p.watts * 100) / 100] as [number, number]),
  }));
  const bench = rows.filter((r) => r.phase === 'benchmark');
  const host = bench.find((r) => r.source === 'host');
  const nodesJ = bench.filter((r) => r.source !== 'host').reduce((a, r) => a + r.energyJ, 0);
  const file = join(ctx.workDir, 'energy.json');
  writeFileSync(
    file,
    `${JSON.stringify({ label, source: state.source, powerModel: options.powerModel, phases: spans, rows }, null, 1)}\n`,
  );
  return {
    tables: [
      {
        id: 'energy',
        title: `ENERGY (${state.source === 'scaphandre' ? 'measured: scaphandre' : 'ESTIMATE: cpu-time power model'})`,
        columns: ['node', 'phase', 'duration_s', 'cpu_s', 'energy_j', 'mean_power_w', 'coverage', 'source'],
        rows: table,
      },
    ],
    summary: {
      energy_source: state.source,
      energy_label: label,
      benchmark_host_energy_j: host?.energyJ ?? null,
      benchmark_host_mean_power_w: host?.meanPowerW ?? null,
      benchmark_nodes_energy_j: Math.round(nodesJ * 100) / 100,
    },
    series,
    artifacts: [
      {
        path: relative(ctx.run.dir, file),
        description: 'Energy per node and phase with its source and power model',
      },
      {
        path: relative(ctx.run.dir, state.samplesFile),
        description: 'Raw CPU-time / power readings (JSON lines)',
      },
    ],
    notes,
  };
}

/** Stop the in-process sampler and every exporter by recorded PID. Idempotent, works from state. */
export async function teardown(ctx: Ctx): Promise<void> {
  await samplers.get(ctx.run.id)?.stop();
  samplers.delete(ctx.run.id);
  const state = ctx.state.get();
  if (state === undefined) return;
  const next = structuredClone(state);
  for (const e of [...(next.exporters ?? [])].reverse()) {
    if (e.ref !== undefined) await stopHostProcess(e.ref, 3000);
    delete e.ref;
  }
  for (const [name, g] of Object.entries(next.guests ?? {})) {
    const node = ctx.nodes.find((n) => n.name === name);
    // The guest exporter dies with its VM; stop it by PID in case the VM outlives this step.
    if (g.ref !== undefined && node !== undefined)
      await node.stop(g.ref, { graceMs: 2000 }).catch(() => undefined);
    delete g.ref;
  }
  await ctx.state.set(next);
}
