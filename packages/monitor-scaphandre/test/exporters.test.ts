import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isSameProcessRunning, type PhaseEvent, type ProcessRef } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import monitor from '../src/index.js';
import type { ScaphandreState } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { nodeInfo } from './helpers.js';
import { createHostNode } from '@continuum/plugin-api';

const FAKE = fileURLToPath(new URL('./fixtures/fake-scaphandre.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'scaph-exp-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
  rmSync(tmp, { recursive: true, force: true });
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('measured path: exporter management (scaphandre stand-in, RAPL counter file)', () => {
  it(
    'starts the host exporter by PID, uses its power, notices its crash, stops it at teardown',
    { timeout: 30000 },
    async () => {
      const rapl = join(tmp, 'energy_uj');
      writeFileSync(rapl, '123456789\n');
      const node = createHostNode(nodeInfo('cloud0', 'cloud'));
      const ctx = createTestContext<ReturnType<typeof resolveOptions>, ScaphandreState>({
        config: resolveOptions({ binary: FAKE, raplCounter: rapl, sampleIntervalS: 0.2 }),
        nodes: [node],
      });
      cleanups.push(() => monitor.teardown(ctx));
      const out = (await monitor.install(ctx)) as {
        source: string;
        exporters: { role: string; url: string | null }[];
      };
      expect(out.source).toBe('scaphandre');
      expect(out.exporters).toEqual([
        { role: 'host', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) as string },
      ]);
      const state = ctx.state.get() as ScaphandreState;
      const ref = state.exporters[0]?.ref as ProcessRef;
      expect(isSameProcessRunning(ref)).toBe(true);
      const event = (phase: PhaseEvent['phase'], when: PhaseEvent['when']): Promise<void> =>
        monitor.onPhase?.(ctx, { phase, when, time: Date.now(), runId: ctx.run.id }) ?? Promise.resolve();

      await event('benchmark', 'before');
      const start = Date.now();
      await sleep(1200);
      process.kill(ref.pid, 'SIGKILL'); // the exporter crashes mid-run
      await sleep(800);
      await event('benchmark', 'after');
      const result = await monitor.collect(ctx, { start, end: Date.now() });
      const host = result.tables?.[0]?.rows.find((r) => r[0] === 'host' && r[1] === 'benchmark');
      expect(host?.[7]).toBe('mixed'); // 42 W measured, then the model after the crash
      expect(Number(host?.[5])).toBeGreaterThan(10);
      expect(result.summary?.['energy_source']).toBe('scaphandre');
      expect(result.notes?.join('\n')).toMatch(/MISSING: scaphandre host exporter exited during the run/);
      expect(result.series?.find((s) => s.id === 'power-host')?.points.some(([, w]) => w === 42)).toBe(true);
      await monitor.teardown(ctx);
      expect((ctx.state.get() as ScaphandreState).exporters[0]?.ref).toBeUndefined();
    },
  );

  it(
    'teardown from state alone (new process) stops a running exporter by PID',
    { timeout: 30000 },
    async () => {
      const rapl = join(tmp, 'energy_uj2');
      writeFileSync(rapl, '1\n');
      const config = resolveOptions({ binary: FAKE, raplCounter: rapl });
      const first = createTestContext<typeof config, ScaphandreState>({ config, nodes: [] });
      await monitor.install(first);
      await monitor.collect(first, { start: Date.now() - 1000, end: Date.now() }); // stops the in-process sampler
      const saved = first.state.get() as ScaphandreState;
      const ref = saved.exporters[0]?.ref as ProcessRef;
      expect(isSameProcessRunning(ref)).toBe(true);
      const fresh = createTestContext<typeof config, ScaphandreState>({
        config,
        nodes: [],
        state: structuredClone(saved),
      });
      await monitor.teardown(fresh);
      expect(isSameProcessRunning(ref)).toBe(false);
      await monitor.teardown(fresh); // idempotent
    },
  );
});
