import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Node, PhaseEvent, ProcessRef } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import monitor from '../src/index.js';
import type { ScaphandreState } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { cgroupNode, makeCgroups, nodeInfo } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(process.getuid?.() !== 0)('energy estimate on real cgroups', () => {
  it(
    'attributes a busy node energy = CPU time x W/core per phase, labeled as an estimate',
    { timeout: 30000 },
    async () => {
      const groups = makeCgroups(`continuum-scaphtest-${process.pid}`);
      if (groups === undefined) throw new Error('cannot create cgroups');
      const node: Node = cgroupNode(
        {
          ...nodeInfo('cloud0', 'cloud'),
          limits: { cores: 1, cpuQuota: 1, memoryMiB: 256, diskReadMBps: 0, diskWriteMBps: 0 },
        },
        groups.dirs,
      );
      const refs: ProcessRef[] = [];
      cleanups.push(async () => {
        for (const r of refs) await node.stop(r, { graceMs: 200 });
        groups.remove();
      });
      const ctx = createTestContext<ReturnType<typeof resolveOptions>, ScaphandreState>({
        config: resolveOptions({ binary: 'scaphandre-not-here', sampleIntervalS: 0.25 }),
        nodes: [node],
      });
      cleanups.push(() => monitor.teardown(ctx));
      const out = (await monitor.install(ctx)) as { source: string; label: string };
      expect(out.source).toBe('estimate');
      expect(out.label).toMatch(/^estimate: CPU time x 12 W\/busy core/);
      const event = (phase: PhaseEvent['phase'], when: PhaseEvent['when']): Promise<void> =>
        monitor.onPhase?.(ctx, { phase, when, time: Date.now(), runId: ctx.run.id }) ?? Promise.resolve();

      await event('benchmark', 'before');
      const start = Date.now();
      // 1.5 s of CPU time (not wall time: the machine is shared) in the node's cgroup; it exits
      // before the phase ends, so the last interval before its exit may be missed (<= 0.25 s).
      const proc = await node.spawn(
        [
          process.execPath,
          '-e',
          'const c = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }; while (c() < 1.5) {}',
        ],
        { logFile: '/tmp/continuum-scaphtest.log' },
      );
      refs.push(proc.ref);
      await proc.wait();
      await sleep(300);
      await event('benchmark', 'after');
      const end = Date.now();
      await event('collect', 'before');
      const result = await monitor.collect(ctx, { start, end });
      const rows = result.tables?.[0]?.rows ?? [];
      const bench = rows.find((r) => r[0] === 'cloud0' && r[1] === 'benchmark');
      const cpu = Number(bench?.[3]);
      const joules = Number(bench?.[4]);
      expect(cpu).toBeGreaterThan(1.1);
      expect(cpu).toBeLessThan(2.2);
      expect(joules).toBeCloseTo(cpu * 12, 0);
      expect(bench?.[7]).toBe('estimate (cpu-time model)');
      const host = rows.find((r) => r[0] === 'host' && r[1] === 'benchmark');
      expect(Number(host?.[4])).toBeGreaterThan(joules); // host includes idle power and everything else
      expect(result.summary?.['energy_source']).toBe('estimate');
      expect(result.notes?.join('\n')).toMatch(/ESTIMATES/);
      expect(result.series?.some((s) => s.id === 'power-cloud0' && s.points.length > 3)).toBe(true);
      const state = ctx.state.get() as ScaphandreState;
      expect(existsSync(state.samplesFile)).toBe(true);
      expect(JSON.parse(readFileSync(`${ctx.workDir}/energy.json`, 'utf8'))).toMatchObject({
        source: 'estimate',
        powerModel: { wattsPerCore: 12, idleWatts: 10 },
      });
      await monitor.teardown(ctx);
      await monitor.teardown(ctx);
    },
  );
});
