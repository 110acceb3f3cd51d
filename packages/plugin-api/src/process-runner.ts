import { ContinuumError } from './errors.js';
import type { Node, SpawnedProcess } from './node.js';
import type {
  ComponentSpec,
  LogLine,
  StatusChange,
  Workload,
  WorkloadExit,
  WorkloadRunner,
} from './workload.js';

/**
 * The built-in runner: a component is a process on its node, limited by the node's cgroup. Used
 * when no resource manager is selected (upstream's `none`/endpoint setups and the local demo).
 */
export function createProcessRunner(nodes: readonly Node[], options: { logDir: string }): WorkloadRunner {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return {
    name: 'process',
    async run(spec: ComponentSpec): Promise<Workload> {
      const node = byName.get(spec.node);
      if (node === undefined) {
        throw new ContinuumError(
          'RUNNER_UNKNOWN_NODE',
          `Component ${spec.name} targets node "${spec.node}", which does not exist.`,
          {
            hint: `Known nodes: ${[...byName.keys()].join(', ')}`,
          },
        );
      }
      if (!node.sharesHostFilesystem) {
        for (const file of spec.files ?? []) await node.copy(file.from, file.to);
      }
      const lines: LogLine[] = [];
      const listeners: ((l: LogLine) => void)[] = [];
      const timeline: StatusChange[] = [{ time: Date.now(), phase: 'pending' }];
      const env = { ...(spec.env ?? {}) };
      const proc: SpawnedProcess = await node.spawn(spec.command, {
        env,
        logFile: `${options.logDir}/${spec.name}.log`,
        detached: false,
        onLine: (line, stream, time) => {
          const entry = { time, stream, line };
          lines.push(entry);
          for (const l of listeners) l(entry);
        },
      });
      timeline.push({ time: Date.now(), phase: 'running' });
      let exit: Promise<WorkloadExit> | undefined;
      const waitExit = (): Promise<WorkloadExit> => {
        exit ??= proc.wait().then((r) => {
          const ok = r.exitCode === 0;
          const reason = ok
            ? undefined
            : r.signal !== null
              ? `killed by ${r.signal}`
              : `exit code ${r.exitCode}`;
          timeline.push({
            time: Date.now(),
            phase: ok ? 'succeeded' : 'failed',
            ...(reason ? { reason } : {}),
          });
          return { phase: ok ? 'succeeded' : 'failed', exitCode: r.exitCode, ...(reason ? { reason } : {}) };
        });
        return exit;
      };
      void waitExit();
      return {
        ref: { runner: 'process', name: spec.name, node: node.name, data: { pid: proc.ref.pid } },
        async wait(opts = {}) {
          const waiters: Promise<WorkloadExit>[] = [waitExit()];
          let timer: NodeJS.Timeout | undefined;
          if (opts.timeoutMs !== undefined) {
            const ms = opts.timeoutMs;
            waiters.push(
              new Promise((_, reject) => {
                timer = setTimeout(
                  () =>
                    reject(
                      new ContinuumError(
                        'WORKLOAD_TIMEOUT',
                        `Component ${spec.name} on ${node.name} did not finish within ${ms / 1000} s.`,
                      ),
                    ),
                  ms,
                );
              }),
            );
          }
          if (opts.signal !== undefined) {
            const signal = opts.signal;
            waiters.push(
              new Promise((_, reject) => {
                if (signal.aborted)
                  reject(new ContinuumError('ABORTED', `Waiting for ${spec.name} was cancelled.`));
                signal.addEventListener(
                  'abort',
                  () => reject(new ContinuumError('ABORTED', `Waiting for ${spec.name} was cancelled.`)),
                  { once: true },
                );
              }),
            );
          }
          try {
            return await Promise.race(waiters);
          } finally {
            if (timer !== undefined) clearTimeout(timer);
          }
        },
        async stop() {
          await node.stop(proc.ref, { graceMs: 3000 });
        },
        logs: () => Promise.resolve([...lines]),
        onLine: (listener) => void listeners.push(listener),
        timeline: () => [...timeline],
      };
    },
  };
}
