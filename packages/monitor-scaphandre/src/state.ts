import type { ProcessRef } from '@continuum/plugin-api';

export interface ExporterRecord {
  /** What it serves: `host` (host power), `qemu` (per-domain counters), or a node name (guest). */
  role: string;
  command: string[];
  logFile: string;
  url?: string;
  ref?: ProcessRef;
}

export interface ScaphandreState {
  /** `scaphandre` (RAPL via scaphandre) or `estimate` (power model), decided at install by trying. */
  source: 'scaphandre' | 'estimate';
  /** The label stored with every number. */
  label: string;
  exporters: ExporterRecord[];
  /** Per VM node: whether its guest has the virtiofs share mounted (scaphandre path only). */
  guests: Record<string, { mounted: boolean; url?: string; ref?: ProcessRef }>;
  phases: { phase: string; when: 'before' | 'after'; time: number }[];
  samplesFile: string;
}
