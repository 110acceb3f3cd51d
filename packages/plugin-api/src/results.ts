/** Results a plugin hands to the core; the core prints tables, writes results.json, CSVs and the report. */
export type Cell = string | number | null;

export interface ResultTable {
  /** File-safe id, used for the CSV name: `worker`, `endpoint`. */
  id: string;
  /** Printed header, as upstream prints it: `CLOUD OUTPUT`, `ENDPOINT OUTPUT`. */
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface Artifact {
  /** Path relative to the run directory. */
  path: string;
  description: string;
}

/** A time series for plots in the report (latency over time, CPU, energy …). */
export interface Series {
  id: string;
  title: string;
  unit: string;
  /** [epoch ms, value] */
  points: [number, number][];
  group?: string;
}

export interface BenchmarkResult {
  /** `partial`: something failed but results up to that point are kept. */
  status: 'ok' | 'partial' | 'failed';
  tables: ResultTable[];
  summary: Record<string, number | string | boolean | null>;
  series?: Series[];
  artifacts?: Artifact[];
  notes?: string[];
  /** Why the status is not ok. */
  problems?: string[];
}

export interface MonitorResult {
  tables?: ResultTable[];
  summary?: Record<string, number | string | boolean | null>;
  series?: Series[];
  artifacts?: Artifact[];
  notes?: string[];
}

/** Measured emulation quality for one pair of nodes, recorded with the results. */
export interface LinkMeasurement {
  from: string;
  to: string;
  fromTier: string;
  toTier: string;
  configuredRttMs: number;
  measuredRttMs: number | null;
  /** Samples p95, for the report. */
  measuredRttP95Ms?: number | null;
  configuredRateMbit?: number | null;
  measuredRateMbit?: number | null;
  ok: boolean;
  note?: string;
}

export interface EmulationReport {
  /** `netem`, `userspace-relay`, `none` (no root), … as detected by trying. */
  backend: string;
  rateBackend?: string;
  measurements: LinkMeasurement[];
  warnings: string[];
}
