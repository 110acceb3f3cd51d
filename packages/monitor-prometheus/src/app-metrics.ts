/**
 * Metrics an application exposes for the prometheus monitor, with prom-client (loaded lazily):
 * messages sent/processed, end-to-end latency and processing histograms, queue length, per
 * endpoint/worker. The app starts `serveAppMetrics` in each component and lists the address
 * in the monitor's `targets` (or the integrator wires it through the app's output).
 *
 *   const m = await createAppMetrics({ component: 'worker', name: 'cloud0' });
 *   m.processed.inc(); m.processing.observe(seconds); m.queue.set(n);
 *   const server = await m.serve(9464, '0.0.0.0');
 */
import type { Server } from 'node:http';
import { createAppInstruments } from '@continuum/plugin-api';

export interface AppMetrics {
  sent: { inc(value?: number): void };
  processed: { inc(value?: number): void };
  latency: { observe(seconds: number): void };
  processing: { observe(seconds: number): void };
  queue: { set(value: number): void };
  /** Text exposition of all metrics (what /metrics serves). */
  text(): Promise<string>;
  serve(port: number, host?: string): Promise<Server>;
}

export async function createAppMetrics(options: {
  component: 'endpoint' | 'worker' | 'combined';
  name: string;
  defaultMetrics?: boolean;
}): Promise<AppMetrics> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  const labelName = options.component === 'worker' ? 'worker' : 'endpoint';
  registry.setDefaultLabels({ [labelName]: options.name, component: options.component });
  if (options.defaultMetrics === true) prom.collectDefaultMetrics({ register: registry });
  const { sent, processed, latency, processing, queue } = createAppInstruments(prom, registry);
  const text = (): Promise<string> => registry.metrics();
  return {
    sent,
    processed,
    latency,
    processing,
    queue,
    text,
    async serve(port, host = '0.0.0.0') {
      const { createServer } = await import('node:http');
      const server = createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        text().then(
          (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
          (error: unknown) => res.writeHead(500).end(String(error)),
        );
      });
      await new Promise<void>((resolvePromise, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolvePromise());
      });
      return server;
    },
  };
}
