import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Grafana provisioning for a run: a Prometheus datasource pointing at this run's server and one
 * dashboard (CPU, memory, app metrics). Grafana is not in Debian 12; where it is installed the
 * monitor starts it with these files, otherwise `continuum status` and the notes say how.
 */
export function writeGrafanaProvisioning(
  dir: string,
  prometheusUrl: string,
  runId: string,
): { provisioningDir: string; dashboard: string } {
  const provisioning = join(dir, 'provisioning');
  const dashboards = join(dir, 'dashboards');
  for (const d of [join(provisioning, 'datasources'), join(provisioning, 'dashboards'), dashboards])
    mkdirSync(d, { recursive: true });
  writeFileSync(
    join(provisioning, 'datasources', 'continuum.yaml'),
    [
      'apiVersion: 1',
      'datasources:',
      `  - name: ${JSON.stringify(`continuum ${runId}`)}`,
      '    uid: continuum',
      '    type: prometheus',
      '    access: proxy',
      `    url: ${JSON.stringify(prometheusUrl)}`,
      '    isDefault: true',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(provisioning, 'dashboards', 'continuum.yaml'),
    [
      'apiVersion: 1',
      'providers:',
      '  - name: continuum',
      '    type: file',
      '    options:',
      `      path: ${JSON.stringify(dashboards)}`,
      '',
    ].join('\n'),
  );
  const dashboard = join(dashboards, 'continuum.json');
  writeFileSync(dashboard, `${JSON.stringify(dashboardJson(runId), null, 2)}\n`);
  return { provisioningDir: provisioning, dashboard };
}

function panel(
  id: number,
  title: string,
  expr: string,
  unit: string,
  y: number,
  x: number,
): Record<string, unknown> {
  return {
    id,
    type: 'timeseries',
    title,
    datasource: { type: 'prometheus', uid: 'continuum' },
    gridPos: { h: 8, w: 12, x, y },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: [{ refId: 'A', expr, legendFormat: '{{node}}{{endpoint}}{{worker}}' }],
  };
}

export function dashboardJson(runId: string): Record<string, unknown> {
  return {
    uid: `continuum-${runId}`.slice(0, 40),
    title: `Continuum run ${runId}`,
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    refresh: '5s',
    panels: [
      panel(
        1,
        'Node CPU (% of limit)',
        '100 * rate(continuum_node_cpu_seconds_total[5s]) / on(node) group_left continuum_node_cpu_limit_cores',
        'percent',
        0,
        0,
      ),
      panel(2, 'Node memory', 'continuum_node_memory_bytes', 'bytes', 0, 12),
      panel(
        3,
        'VM CPU (node exporter)',
        '100 * (1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[5s])))',
        'percent',
        8,
        0,
      ),
      panel(
        4,
        'Messages processed / s',
        'sum by (worker) (rate(continuum_app_messages_processed_total[5s]))',
        'ops',
        8,
        12,
      ),
      panel(
        5,
        'End-to-end latency p95',
        'histogram_quantile(0.95, sum by (le, endpoint) (rate(continuum_app_latency_seconds_bucket[10s])))',
        's',
        16,
        0,
      ),
      panel(6, 'Queue length', 'continuum_app_queue_length', 'short', 16, 12),
    ],
  };
}

/** What a person runs to view the dashboards when Grafana is not started by the monitor. */
export function grafanaHowTo(provisioningDir: string, prometheusUrl: string): string {
  return `Grafana is not installed here. Dashboards and datasource are provisioned in ${provisioningDir}: with Grafana installed, run \`GF_PATHS_PROVISIONING=${provisioningDir} grafana-server\` while the run is kept (\`continuum up\` or \`run --keep\`; Prometheus at ${prometheusUrl}, also browsable at ${prometheusUrl}/graph). After teardown the series stay in series.json/series.csv and the TSDB in this run directory.`;
}
