import { stopHostProcess } from '@continuum/plugin-api';
import type { Ctx } from './install.js';
import { daemonRefs } from './processes.js';
import { emptyState, type PrometheusState } from './state.js';

/**
 * Stop Grafana, Prometheus and the sampler by recorded PID (or by their run-tagged config path
 * when the PID never made it into the state). Their data stays in the run directory. Idempotent.
 */
export async function teardown(ctx: Ctx): Promise<void> {
  const state: PrometheusState = structuredClone(ctx.state.get() ?? emptyState());
  for (const key of ['grafana', 'prometheus', 'exporter'] as const) {
    const record = state[key];
    for (const ref of daemonRefs(record)) await stopHostProcess(ref, 5000);
    if (record !== undefined) delete record.ref;
  }
  await ctx.state.set(state);
}

export async function onPhase(
  ctx: Ctx,
  event: { phase: string; when: 'before' | 'after'; time: number },
): Promise<void> {
  const state = ctx.state.get();
  if (state === undefined) return; // before install: nothing of ours exists yet
  const next = structuredClone(state);
  next.phases = [...(next.phases ?? []), { phase: event.phase, when: event.when, time: event.time }];
  await ctx.state.set(next);
}
