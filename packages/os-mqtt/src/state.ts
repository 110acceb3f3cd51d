import type { ProcessRef } from '@continuum/plugin-api';
import type { Implementation } from './options.js';

/** One broker in the write-ahead state: recorded before it is started, completed with its PID right after. */
export interface BrokerRecord {
  implementation: Implementation;
  host: string;
  port: number;
  logFile: string;
  /** Run-tagged string in the broker's command line; finds it if the PID was never recorded. */
  marker: string;
  /** Set as soon as the process exists. Absent: the CLI died between spawn and the state write. */
  ref?: ProcessRef;
  /** True once it answered an MQTT CONNECT; a broker dead at teardown after that is a mid-run failure. */
  ready?: boolean;
}

export interface MqttState {
  brokers: Record<string, BrokerRecord>;
  /** Per node, the directory created on nodes that do not share the host filesystem; removed at teardown. */
  remoteDirs: Record<string, string>;
}

export const emptyState = (): MqttState => ({ brokers: {}, remoteDirs: {} });

/**
 * Serialises state writes: brokers start in parallel, but each write must contain all of them.
 * Every update is applied to one in-memory copy and persisted in order.
 */
export function stateWriter(store: { get(): MqttState | undefined; set(s: MqttState): Promise<void> }): {
  current: MqttState;
  update(change: (s: MqttState) => void): Promise<void>;
} {
  const current: MqttState = structuredClone(store.get() ?? emptyState());
  current.brokers ??= {};
  current.remoteDirs ??= {};
  let chain: Promise<void> = Promise.resolve();
  return {
    current,
    update(change) {
      change(current);
      const snapshot = structuredClone(current);
      chain = chain.then(() => store.set(snapshot));
      return chain;
    },
  };
}
