import { defineMonitor, type Diagnostic, type PlanItem } from '@continuum/plugin-api';
import { z } from 'zod';
import { collect } from './collect.js';
import { binaryVersion, install, nodeExporterTargets, toJson } from './install.js';
import { prometheusOptionsSchema, resolveOptions, type PrometheusOptions } from './options.js';
import type { PrometheusState } from './state.js';
import { onPhase, teardown } from './teardown.js';

export { prometheusOptionsSchema, type PrometheusOptions, type PrometheusOptionsInput } from './options.js';
export type { PrometheusState } from './state.js';
export type { PrometheusOutput } from './install.js';
export { CgroupReader, type CgroupSource, type Sample } from './cgroup-stats.js';
export { prometheusConfig, prometheusCommand } from './prometheus-config.js';
export { dashboardJson, writeGrafanaProvisioning } from './grafana.js';
export { seriesFromSamples, readSamples, cpuSecondsInWindow } from './samples.js';

export default defineMonitor<PrometheusOptions, PrometheusState>({
  name: 'prometheus',
  description:
    'Node CPU/memory (cgroups, node exporter) and app metrics scraped by a Prometheus server; series stored with the run; Grafana provisioning',
  configSchema: prometheusOptionsSchema,
  jsonSchema: () => z.toJSONSchema(prometheusOptionsSchema, { io: 'input' }),
  stateVersion: 1,
  async validate(ctx): Promise<Diagnostic[]> {
    const options = resolveOptions(ctx.config);
    const v = await binaryVersion(options.binary);
    if (v.ok) return [];
    return [
      {
        severity: options.required ? 'error' : 'warning',
        path: 'monitors.prometheus.options.binary',
        message: `${v.reason}: ${options.required ? 'required: true' : 'metrics come from the built-in cgroup sampler only'}`,
        hint: 'apt-get install prometheus (Debian) or set options.binary to a Prometheus server binary.',
      },
    ];
  },
  plan(ctx): Promise<PlanItem[]> {
    const options = resolveOptions(ctx.config);
    const items: PlanItem[] = [
      {
        resource: 'process',
        name: 'node sampler (cgroup CPU/memory)',
        details: { intervalS: options.scrapeIntervalS },
      },
    ];
    items.push({
      resource: 'process',
      name: `prometheus (${options.binary})`,
      details: { port: options.port === 0 ? 'free' : options.port },
    });
    const vms = nodeExporterTargets(ctx.nodes, options.nodeExporterPort).length;
    if (vms > 0) items.push({ resource: 'scrape-target', name: 'node-exporter', details: { targets: vms } });
    items.push({ resource: 'files', name: 'grafana provisioning (datasource + dashboard)' });
    return Promise.resolve(items);
  },
  install: async (ctx) => toJson(await install(ctx)),
  onPhase: (ctx, event) => onPhase(ctx, event),
  collect: (ctx, window) => collect(ctx, window),
  teardown: (ctx) => teardown(ctx),
});
