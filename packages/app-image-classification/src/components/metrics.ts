import type { Server } from 'node:http';

/**
 * Optional prom-client metrics of a component (issue 7), with the metric names of plugin-api's
 * createAppInstruments (which monitor-prometheus's helper uses) so the prometheus monitor scrapes
 * them as app targets. Components do not import plugin-api itself: the docker runner mounts only
 * node_modules folders, where workspace packages are symlinks out of the mount. Enabled only when the benchmark sets METRICS_PORT; otherwise every call is a no-op on
 * a shared object and prom-client is never loaded, so the default path costs nothing.
 */
export interface ComponentMetrics {
  sent(): void;
  processed(): void;
  /** End-to-end latency seen by an endpoint, ms. */
  latency(ms: number): void;
  /** Processing time of one message in a worker, ms. */
  processing(ms: number): void;
  queue(length: number): void;
  /** The scrape URL (`http://host:port/metrics`), when served on a port of its own. */
  readonly url: string | undefined;
  /** The exposition text, for a component that serves /metrics on its own HTTP server; undefined when off. */
  render(): Promise<{ contentType: string; body: string } | undefined>;
  close(): Promise<void>;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const disabled: ComponentMetrics = {
  sent: () => undefined,
  processed: () => undefined,
  latency: () => undefined,
  processing: () => undefined,
  queue: () => undefined,
  url: undefined,
  render: () => Promise.resolve(undefined),
  close: () => Promise.resolve(),
};

export async function startMetrics(
  component: 'endpoint' | 'worker' | 'combined',
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ComponentMetrics> {
  const rawPort = env['METRICS_PORT'];
  // METRICS_INLINE=1: metrics on, served by the component's own HTTP server (the function behind a
  // gateway, reachable as <function url>/metrics), no port of its own.
  const inline = env['METRICS_INLINE'] === '1';
  if ((rawPort === undefined || rawPort === '') && !inline) return disabled;
  const port = Number(rawPort);
  if (!inline && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new Error(`METRICS_PORT must be a port number, got ${rawPort}`);
  const host = env['METRICS_HOST'] || '0.0.0.0';
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  registry.setDefaultLabels({ [component === 'worker' ? 'worker' : 'endpoint']: name, component });
  const sent = new prom.Counter({
    name: 'continuum_app_messages_sent_total',
    help: 'Messages (images) sent by an endpoint.',
    registers: [registry],
  });
  const processed = new prom.Counter({
    name: 'continuum_app_messages_processed_total',
    help: 'Messages processed by a worker.',
    registers: [registry],
  });
  const latency = new prom.Histogram({
    name: 'continuum_app_latency_seconds',
    help: 'End-to-end latency seen by an endpoint.',
    buckets: BUCKETS,
    registers: [registry],
  });
  const processing = new prom.Histogram({
    name: 'continuum_app_processing_seconds',
    help: 'Processing time per message in a worker.',
    buckets: BUCKETS,
    registers: [registry],
  });
  const queue = new prom.Gauge({
    name: 'continuum_app_queue_length',
    help: 'Messages waiting in the worker queue.',
    registers: [registry],
  });
  const render = async (): Promise<{ contentType: string; body: string }> => ({
    contentType: registry.contentType,
    body: await registry.metrics(),
  });
  const recorders = {
    sent: () => sent.inc(),
    processed: () => processed.inc(),
    latency: (ms: number) => latency.observe(ms / 1000),
    processing: (ms: number) => processing.observe(ms / 1000),
    queue: (n: number) => queue.set(n),
    render,
  };
  if (inline) return { ...recorders, url: undefined, close: () => Promise.resolve() };
  const { createServer } = await import('node:http');
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    ...recorders,
    url: `http://${shownHost}:${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
