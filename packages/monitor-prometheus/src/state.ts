import type { ProcessRef } from '@continuum/plugin-api';

/** A daemon this monitor started on the host: recorded (with its marker) BEFORE it is spawned. */
export interface DaemonRecord {
  /** Run-tagged string in the command line: identifies the process if the PID was never recorded. */
  marker: string;
  logFile: string;
  url?: string;
  ref?: ProcessRef;
}

export interface PrometheusState {
  exporter?: DaemonRecord;
  prometheus?: DaemonRecord;
  grafana?: DaemonRecord;
  /** Why Prometheus is not running (binary missing, failed to start); collect reports it. */
  prometheusMissing?: string;
  /** Phase boundaries seen through onPhase (epoch ms), for annotations in the stored series. */
  phases: { phase: string; when: 'before' | 'after'; time: number }[];
  notes: string[];
}

export const emptyState = (): PrometheusState => ({ phases: [], notes: [] });
