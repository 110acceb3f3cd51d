import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Options } from './options.js';

/**
 * Scrape targets of the components' prom-client metrics. They are returned in the results and
 * written in Prometheus' file_sd format, so a Prometheus with
 * `file_sd_configs: [{files: ['<run dir>/metrics/targets.json']}]` picks them up on its own.
 */
export const METRICS_TARGETS_FILE = 'metrics/targets.json';

export interface MetricsTarget {
  component: string;
  node: string;
  /** http://host:port/metrics */
  url: string;
}

/** Base port when metrics are on (option, else CONTINUUM_APP_METRICS_PORT), undefined when off. */
export function metricsPortOption(
  cfg: Pick<Options, 'metrics'>,
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  if (cfg.metrics !== undefined) return cfg.metrics.port;
  const raw = env['CONTINUUM_APP_METRICS_PORT'];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}

export function fileSdGroups(
  targets: readonly MetricsTarget[],
): { targets: string[]; labels: Record<string, string> }[] {
  return targets.map((t) => ({
    targets: [new URL(t.url).host],
    // __metrics_path__: a function behind the OpenFaaS gateway is scraped at /function/<name>/metrics.
    labels: {
      job: 'image-classification',
      component: t.component,
      node: t.node,
      __metrics_path__: new URL(t.url).pathname,
    },
  }));
}

export function writeMetricsTargets(runDir: string, targets: readonly MetricsTarget[]): string {
  const file = join(runDir, METRICS_TARGETS_FILE);
  mkdirSync(dirname(file), { recursive: true });
  // Atomic: Prometheus' file discovery may read the file at any moment.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(fileSdGroups(targets), null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}
