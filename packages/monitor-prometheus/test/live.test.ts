import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isSameProcessRunning, type Node, type ProcessRef } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import monitor from '../src/index.js';
import type { PrometheusOptionsInput, PrometheusState } from '../src/index.js';
import { samplerMain } from '../src/install.js';
import { resolveOptions } from '../src/options.js';
import { cgroupNode, hasBinary, makeCgroups, nodeInfo } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

if (!existsSync(samplerMain()))
  throw new Error('build first: npx tsc -b packages/monitor-prometheus (the sampler runs from dist)');
// The test imports src/, whose sampler path points at src/exporter/main.js; run the built one.
const canCgroup = process.getuid?.() === 0;

function context(options: PrometheusOptionsInput, nodes: Node[]) {
  const ctx = createTestContext<ReturnType<typeof resolveOptions>, PrometheusState>({
    config: resolveOptions(options),
    nodes,
  });
  cleanups.push(() => monitor.teardown(ctx));
  return ctx;
}

/** A node with a real cgroup, and a function that runs a CPU burner for `ms` of CPU time inside it. */
function busyNode(name: string, ms: number): { node: Node; burn: () => Promise<unknown> } {
  const groups = makeCgroups(`continuum-montest-${name}-${process.pid}`);
  if (groups === undefined) throw new Error('cannot create cgroups (root and cgroup v1 cpu/memory needed)');
  const node = cgroupNode(nodeInfo(name, 'cloud'), groups.dirs);
  const refs: ProcessRef[] = [];
  cleanups.push(async () => {
    for (const ref of refs) await node.stop(ref, { graceMs: 500 });
    groups.remove();
  });
  const burn = async (): Promise<unknown> => {
    const proc = await node.spawn(
      [
        process.execPath,
        '-e',
        `const c = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; }; while (c() < ${ms}) {}`,
      ],
      { logFile: `/tmp/continuum-montest-${name}.log` },
    );
    refs.push(proc.ref);
    return proc.wait();
  };
  return { node, burn };
}

describe.skipIf(!canCgroup)('prometheus monitor on real cgroups', () => {
  it(
    'scrapes the sampler with a real Prometheus and stores the CPU of a busy node',
    { timeout: 60000 },
    async () => {
      expect(hasBinary('prometheus')).toBe(true);
      const { node, burn } = busyNode('busy', 2500);
      const idle = makeCgroups(`continuum-montest-idle-${process.pid}`);
      cleanups.push(() => idle?.remove());
      const ctx = context({ scrapeIntervalS: 0.5 }, [
        node,
        cgroupNode(nodeInfo('idle0', 'edge'), idle?.dirs ?? []),
      ]);
      const out = await monitor.install(ctx);
      const state = ctx.state.get() as PrometheusState;
      expect((out as { prometheusUrl: string | null }).prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(isSameProcessRunning(state.prometheus?.ref as ProcessRef)).toBe(true);
      const start = Date.now();
      await burn();
      await sleep(1200);
      const result = await monitor.collect(ctx, { start, end: Date.now() - 1000 });
      expect(result.summary?.['source']).toBe('prometheus');
      const table = result.tables?.[0];
      const busyRow = table?.rows.find((r) => r[0] === 'busy');
      const idleRow = table?.rows.find((r) => r[0] === 'idle0');
      // `ms` of CPU time against a 0.5-core limit: near 100 % of its limit unless the shared machine starves it.
      expect(Number(busyRow?.[2])).toBeGreaterThan(30);
      expect(Number(busyRow?.[3])).toBeGreaterThan(1.5);
      expect(Number(idleRow?.[2] ?? 0)).toBeLessThan(10);
      expect(result.series?.some((s) => s.id === 'cpu-busy' && s.points.length >= 3)).toBe(true);
      expect(existsSync(`${ctx.workDir}/series.json`)).toBe(true);
      expect(readFileSync(`${ctx.workDir}/series.csv`, 'utf8').split('\n').length).toBeGreaterThan(5);
      await monitor.teardown(ctx);
      const after = ctx.state.get() as PrometheusState;
      for (const r of [state.prometheus?.ref, state.exporter?.ref])
        expect(isSameProcessRunning(r as ProcessRef)).toBe(false);
      expect(after.prometheus?.ref).toBeUndefined();
      await monitor.teardown(ctx); // idempotent
    },
  );

  it(
    'without Prometheus, and with a crashed sampler, the run goes on and the results say what is missing',
    { timeout: 30000 },
    async () => {
      const { node, burn } = busyNode('nobin', 1500);
      const ctx = context({ binary: 'prometheus-not-installed-here', scrapeIntervalS: 0.25 }, [node]);
      const diags = await monitor.validate?.(ctx);
      expect(diags?.[0]?.severity).toBe('warning');
      await monitor.install(ctx);
      const start = Date.now();
      await burn();
      const state = ctx.state.get() as PrometheusState;
      execFileSync('kill', ['-9', String(state.exporter?.ref?.pid)]); // exporter crash mid-run, by PID
      await sleep(300);
      const result = await monitor.collect(ctx, { start, end: Date.now() });
      expect(result.summary).toMatchObject({ source: 'sampler', prometheus: 'missing' });
      expect(result.notes?.join('\n')).toMatch(/prometheus-not-installed-here is not installed/);
      expect(result.notes?.join('\n')).toMatch(/MISSING: the node sampler is not running/);
      expect(Number(result.tables?.[0]?.rows.find((r) => r[0] === 'nobin')?.[2])).toBeGreaterThan(20);
    },
  );

  it('required: true turns missing Prometheus into a validation error', async () => {
    const ctx = createTestContext({ config: resolveOptions({ binary: 'nope-prom', required: true }) });
    const diags = await monitor.validate?.(ctx as never);
    expect(diags?.[0]?.severity).toBe('error');
  });

  it('a taken port falls back to a free one with a note', { timeout: 30000 }, async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as { port: number }).port;
    const ctx = context({ port }, []);
    const out = (await monitor.install(ctx)) as { prometheusUrl: string; notes: string[] };
    expect(out.prometheusUrl).not.toContain(`:${port}`);
    expect(out.notes.join()).toContain(`port ${port} was taken`);
    await monitor.teardown(ctx);
  });
});
