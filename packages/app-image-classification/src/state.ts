import type { Context, ProcessRef } from '@continuum/plugin-api';
import type { ResolvedModel } from './model/resolve.js';

/** What teardown needs to find the components again, from the state file alone. */
export interface RecordedComponent {
  name: string;
  node: string;
  runner: string;
  /** Set once the runner started it; absent if the process never started. */
  pid?: number;
  startTime?: string;
  logFile?: string;
  status: 'starting' | 'running' | 'done';
}

export interface AppState {
  model?: ResolvedModel;
  components: RecordedComponent[];
}

/** Serialises state updates: components start concurrently but the store must see whole blobs. */
export class StateWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: Context<unknown, AppState>) {}

  update(change: (s: AppState) => void): Promise<void> {
    this.chain = this.chain.then(() => {
      const current = this.ctx.state.get() ?? { components: [] };
      const next: AppState = JSON.parse(JSON.stringify(current)) as AppState;
      next.components ??= [];
      change(next);
      return this.ctx.state.set(next);
    });
    return this.chain;
  }
}

/** Stops every recorded component that is still running (by PID, checked against its start time). */
export async function stopRecordedComponents(ctx: Context<unknown, AppState>): Promise<void> {
  const state = ctx.state.get();
  if (state === undefined) return;
  const writer = new StateWriter(ctx);
  for (const c of state.components ?? []) {
    if (c.status === 'done' || c.pid === undefined) continue;
    if (c.runner !== 'process') {
      ctx.log.warn(
        `component ${c.name} ran through the ${c.runner} runner; its resource manager removes it on teardown`,
      );
      continue;
    }
    const node = ctx.nodes.find((n) => n.name === c.node);
    if (node === undefined) {
      ctx.log.warn(`component ${c.name}: node ${c.node} is gone; nothing to stop`);
      continue;
    }
    const ref: ProcessRef = {
      node: c.node,
      pid: c.pid,
      ...(c.startTime !== undefined ? { startTime: c.startTime } : {}),
      logFile: c.logFile ?? '',
      command: [],
    };
    if (await node.isRunning(ref)) {
      ctx.log.info(`stopping ${c.name} (pid ${c.pid}) on ${c.node}`);
      await node.stop(ref, { graceMs: 2000 });
    }
    await writer.update((s) => {
      const rec = s.components.find((x) => x.name === c.name);
      if (rec !== undefined) rec.status = 'done';
    });
  }
}
