import type { Context, Node } from '@continuum/plugin-api';
import { logTail } from './health.js';
import { findPidsByMarker } from './orphans.js';
import { stateWriter, type BrokerRecord, type MqttState } from './state.js';

// Only directories this package creates are ever removed.
const REMOTE_DIR = /^\/tmp\/continuum-mqtt-[a-z0-9]+$/;

async function stopBroker(
  ctx: Context<unknown, MqttState>,
  node: Node,
  name: string,
  rec: BrokerRecord,
): Promise<void> {
  if (rec.ref === undefined) {
    // Crashed between spawn and the state write: find the process by its run-tagged marker.
    for (const pid of await findPidsByMarker(node, rec.marker)) {
      ctx.log.info(`stopping unrecorded MQTT broker process ${pid} on ${name}`);
      await node.stop({ node: name, pid, logFile: rec.logFile, command: [] }, { graceMs: 3000 });
    }
    return;
  }
  if (!(await node.isRunning(rec.ref))) {
    if (rec.ready === true) {
      // Recorded as a failure in the run log: it answered once, so it died during the run.
      ctx.log.warn(
        `The MQTT broker on ${name} (pid ${rec.ref.pid}) had already exited before teardown; see ${rec.logFile}`,
        {
          node: name,
          logTail: logTail(rec.logFile),
        },
      );
    }
    return;
  }
  await node.stop(rec.ref, { graceMs: 3000 });
}

/** Stops every recorded broker by PID and removes staged files; from state alone, idempotent. */
export async function teardownBrokers(ctx: Context<unknown, MqttState>): Promise<void> {
  const saved = ctx.state.get();
  if (saved === undefined) return;
  const writer = stateWriter(ctx.state);
  const byName = new Map(ctx.nodes.map((n) => [n.name, n]));
  const errors: string[] = [];
  await Promise.all(
    Object.entries(writer.current.brokers).map(async ([name, rec]) => {
      const node = byName.get(name);
      if (node === undefined) {
        errors.push(
          `node ${name} is not attached, so its broker (pid ${rec.ref?.pid ?? 'unknown'}) cannot be stopped`,
        );
        return;
      }
      try {
        await stopBroker(ctx, node, name, rec);
        await writer.update((s) => void delete s.brokers[name]);
      } catch (error) {
        errors.push(`${name}: ${(error as Error).message}`);
      }
    }),
  );
  await Promise.all(
    Object.entries(writer.current.remoteDirs).map(async ([name, dir]) => {
      const node = byName.get(name);
      if (node === undefined || !REMOTE_DIR.test(dir)) return;
      try {
        await node.exec(['rm', '-rf', '--', dir]);
        await writer.update((s) => void delete s.remoteDirs[name]);
      } catch (error) {
        errors.push(`${name}: removing ${dir}: ${(error as Error).message}`);
      }
    }),
  );
  // Continue past errors (teardown must not stop halfway) and report them once at the end.
  for (const e of errors) ctx.log.warn(`mqtt teardown: ${e}`);
}
