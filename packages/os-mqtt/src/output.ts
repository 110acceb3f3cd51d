import { ContinuumError, type Json, type ProcessRef } from '@continuum/plugin-api';
import type { Implementation } from './options.js';

/** One broker as consumers see it (outputs.services.mqtt.brokers[node]). */
export interface BrokerInfo {
  host: string;
  port: number;
  pid: number;
  implementation: Implementation;
  /** Identifies the PID's incarnation, so a health check never trusts a recycled PID. */
  startTime?: string;
  /** Host path of the broker's stdout/stderr, named in every error about it. */
  logFile: string;
  /** The command the broker runs, for `continuum status`. */
  command: string[];
  /** Spawn to first CONNACK, ms. */
  readyMs?: number;
}

/** What install() returns and the core stores as outputs.services.mqtt. */
export interface MqttOutput {
  /** The implementation asked for (`auto` resolved per node, see brokers[n].implementation). */
  implementation: 'auto' | Implementation;
  port: number;
  brokers: Record<string, BrokerInfo>;
}

export function toJson(output: MqttOutput): Json {
  return JSON.parse(JSON.stringify(output)) as Json;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads outputs.services.mqtt back (it went through the JSON state file). */
export function parseMqttOutput(value: unknown): MqttOutput {
  if (!isRecord(value) || !isRecord(value['brokers']) || typeof value['port'] !== 'number') {
    throw new ContinuumError(
      'MQTT_NO_OUTPUT',
      'No MQTT brokers are recorded for this run (outputs.services.mqtt is missing or malformed).',
      {
        hint: 'Add `- use: mqtt` under `services:` in the config so brokers are installed before the application runs.',
      },
    );
  }
  return value as unknown as MqttOutput;
}

/** `mqtt://host:port` of the broker on `nodeName`; a clear error when that node has none. */
export function brokerUrlFor(output: unknown, nodeName: string): string {
  const parsed = parseMqttOutput(output);
  const broker = parsed.brokers[nodeName];
  if (broker === undefined) {
    const known = Object.keys(parsed.brokers);
    throw new ContinuumError('MQTT_NO_BROKER', `Node ${nodeName} has no MQTT broker.`, {
      hint:
        known.length > 0
          ? `Brokers run on: ${known.join(', ')}. Set services.mqtt.options.nodes to "all" to give every node one.`
          : 'No broker was installed; check the mqtt service in the config.',
    });
  }
  return brokerUrl(broker);
}

/** `mqtt://host:port`, with IPv6 literals in brackets. */
export function brokerUrl(broker: Pick<BrokerInfo, 'host' | 'port'>): string {
  const host = broker.host.includes(':') ? `[${broker.host}]` : broker.host;
  return `mqtt://${host}:${broker.port}`;
}

/** The ProcessRef a Node needs to check or stop the broker. */
export function brokerProcessRef(nodeName: string, broker: BrokerInfo): ProcessRef {
  return {
    node: nodeName,
    pid: broker.pid,
    ...(broker.startTime !== undefined ? { startTime: broker.startTime } : {}),
    logFile: broker.logFile,
    command: broker.command,
  };
}
