import { z } from 'zod';

/** `monitors: [{ use: prometheus, options: … }]` — validated by the core with this schema. */
export const prometheusOptionsSchema = z
  .strictObject({
    binary: z
      .string()
      .min(1)
      .default('prometheus')
      .describe('Prometheus server binary (Debian package `prometheus`).'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .describe(
        'Port Prometheus listens on (127.0.0.1). 0: a free port. A taken port falls back to a free one, with a note.',
      ),
    scrapeIntervalS: z
      .number()
      .min(0.1)
      .max(60)
      .default(1)
      .describe('Scrape (and sampling) interval in seconds.'),
    nodeExporterPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(9100)
      .describe('Port of prometheus-node-exporter on nodes that do not share the host (VMs).'),
    targets: z
      .array(
        z.strictObject({
          job: z.string().min(1),
          address: z.string().min(3),
          path: z.string().default('/metrics'),
        }),
      )
      .default([])
      .describe('Extra scrape targets (apps exposing prom-client metrics), host:port.'),
    required: z
      .boolean()
      .default(false)
      .describe(
        'true: a missing Prometheus binary fails validation. false: the run goes on with the built-in sampler and says so.',
      ),
    grafana: z
      .strictObject({
        binary: z
          .string()
          .default('grafana-server')
          .describe('Started with the generated provisioning when it exists.'),
        start: z.boolean().default(true),
      })
      .prefault({})
      .describe('Grafana provisioning is always generated; Grafana itself is started only when installed.'),
  })
  .describe(
    'Prometheus metrics: node CPU/memory (cgroups or node exporter) and app metrics, stored with the run',
  );

export type PrometheusOptions = z.output<typeof prometheusOptionsSchema>;
export type PrometheusOptionsInput = z.input<typeof prometheusOptionsSchema>;

export function resolveOptions(config: unknown): PrometheusOptions {
  return prometheusOptionsSchema.parse(config ?? {});
}
