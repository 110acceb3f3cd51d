import type { Node, SpawnedProcess } from './node.js';
import type {
  ComponentSpec,
  LogLine,
  StatusChange,
  Workload,
  WorkloadExit,
  WorkloadRunner,
} from './workload.js';
import { componentNode, copyComponentFiles, waitForExit } from './workload-helpers.js';

/**
 * The built-in runner: a component is a process on its node, limited by the node's cgroup. Used
 * when no resource manager is selected (upstream's `none`/endpoint setups and the local demo).
 */
export function createProcessRunner(nodes: readonly Node[], options: { logDir: string }): WorkloadRunner {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return {
    name: 'process',
    async run(spec: ComponentSpec): Promise<Workload> {
      const node = componentNode(byName, spec);
      await copyComponentFiles(node, spec);
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
        wait: (opts = {}) =>
          waitForExit(waitExit(), opts, {
            component: spec.name,
            subject: `Component ${spec.name} on ${node.name}`,
          }),
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
