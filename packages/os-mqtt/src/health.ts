import { readFileSync } from 'node:fs';
import type { Node } from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';
import { brokerProcessRef, brokerUrl, parseMqttOutput, type BrokerInfo } from './output.js';
import { mqttConnectOnce } from './probe.js';

export interface BrokerHealth {
  node: string;
  url: string;
  /** The recorded process (same PID and start time) is still alive. */
  running: boolean;
  /** An MQTT CONNECT got a CONNACK (only tried when running, unless `connect: 'always'`). */
  reachable: boolean;
  /** Why the broker is unhealthy, naming the node and the broker's log; undefined when healthy. */
  error?: string;
  /** Last lines of the broker log when unhealthy (the reason mosquitto/aedes gave). */
  logTail?: string;
  checkedAt: string;
}

export interface HealthReport {
  healthy: boolean;
  brokers: BrokerHealth[];
  /** Unhealthy brokers only, for a results file. */
  failures: BrokerHealth[];
}

export function logTail(logFile: string, lines = 10): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function nodeByName(nodes: readonly Node[], name: string): Node {
  const node = nodes.find((n) => n.name === name);
  if (node === undefined) {
    throw new ContinuumError(
      'MQTT_UNKNOWN_NODE',
      `The MQTT broker recorded for node ${name} has no live node handle.`,
      {
        hint: 'Pass the run context nodes (ctx.nodes) to the health check.',
      },
    );
  }
  return node;
}

async function checkOne(
  node: Node,
  broker: BrokerInfo,
  options: { timeoutMs: number; connect: boolean },
): Promise<BrokerHealth> {
  const url = brokerUrl(broker);
  const checkedAt = new Date().toISOString();
  const running = await node.isRunning(brokerProcessRef(node.name, broker)).catch(() => false);
  if (!running) {
    return {
      node: node.name,
      url,
      running,
      reachable: false,
      checkedAt,
      error: `The MQTT broker on node ${node.name} (${broker.implementation}, pid ${broker.pid}, ${url}) is no longer running; see ${broker.logFile}.`,
      logTail: logTail(broker.logFile),
    };
  }
  if (!options.connect) return { node: node.name, url, running, reachable: true, checkedAt };
  try {
    await mqttConnectOnce(broker.host, broker.port, options.timeoutMs);
    return { node: node.name, url, running, reachable: true, checkedAt };
  } catch (error) {
    return {
      node: node.name,
      url,
      running,
      reachable: false,
      checkedAt,
      error: `The MQTT broker on node ${node.name} (pid ${broker.pid}) runs but does not answer at ${url}: ${(error as Error).message}; see ${broker.logFile}.`,
      logTail: logTail(broker.logFile),
    };
  }
}

/**
 * Is every recorded broker alive and answering MQTT? For applications: call it after a run (or
 * when messages stop arriving) and record `failures` with the results, so a broker that died
 * mid-run becomes a recorded failure rather than a silent hang.
 */
export async function checkBrokers(
  nodes: readonly Node[],
  output: unknown,
  options: { timeoutMs?: number; connect?: boolean } = {},
): Promise<HealthReport> {
  const parsed = parseMqttOutput(output);
  const opts = { timeoutMs: options.timeoutMs ?? 2000, connect: options.connect ?? true };
  const brokers = await Promise.all(
    Object.entries(parsed.brokers).map(([name, broker]) => checkOne(nodeByName(nodes, name), broker, opts)),
  );
  const failures = brokers.filter((b) => b.error !== undefined);
  return { healthy: failures.length === 0, brokers, failures };
}

/** Throws MQTT_BROKER_DOWN listing every unhealthy broker, or returns the (healthy) report. */
export async function assertBrokersHealthy(
  nodes: readonly Node[],
  output: unknown,
  options: { timeoutMs?: number } = {},
): Promise<HealthReport> {
  const report = await checkBrokers(nodes, output, options);
  if (!report.healthy) {
    const detail = report.failures.map(
      (f) =>
        `${f.error ?? ''}${f.logTail ? `\n  last log lines:\n    ${f.logTail.split('\n').join('\n    ')}` : ''}`,
    );
    throw new ContinuumError(
      'MQTT_BROKER_DOWN',
      `${report.failures.length} MQTT broker(s) failed:\n${detail.join('\n')}`,
      {
        hint: 'Partial results are kept in the run directory; check the broker logs named above (port clash, out of memory, killed).',
        details: { failures: report.failures },
      },
    );
  }
  return report;
}

export interface BrokerWatch {
  /** Stops polling; returns the failures seen so far. */
  stop(): BrokerHealth[];
  /** The failures seen so far (each broker reported once). */
  readonly failures: readonly BrokerHealth[];
}

/**
 * Polls process liveness (cheap: no network) every `intervalMs` and calls `onFailure` once per
 * broker that dies, so an application can abort its benchmark early with a clear error instead of
 * waiting for replies that will never come.
 */
export function watchBrokers(
  nodes: readonly Node[],
  output: unknown,
  options: { intervalMs?: number; signal?: AbortSignal; onFailure: (failure: BrokerHealth) => void },
): BrokerWatch {
  const parsed = parseMqttOutput(output);
  const failures: BrokerHealth[] = [];
  const reported = new Set<string>();
  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (const [name, broker] of Object.entries(parsed.brokers)) {
        if (reported.has(name)) continue;
        const health = await checkOne(nodeByName(nodes, name), broker, { timeoutMs: 0, connect: false });
        if (health.error !== undefined) {
          reported.add(name);
          failures.push(health);
          options.onFailure(health);
        }
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick().catch(() => undefined), options.intervalMs ?? 1000);
  timer.unref();
  const stop = (): BrokerHealth[] => {
    clearInterval(timer);
    return [...failures];
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  return { stop, failures };
}
