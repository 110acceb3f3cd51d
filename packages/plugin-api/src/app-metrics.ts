/**
 * The metrics every Continuum application exposes (prom-client names and help texts), shared by
 * the apps and the prometheus monitor's helper so they can never drift apart. plugin-api has no
 * runtime dependencies: the caller passes its own prom-client module and registry.
 */
export const APP_METRIC_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface MetricConfig<R> {
  name: string;
  help: string;
  registers: R[];
}

/** The part of prom-client's module this needs (structural, so any prom-client copy fits). */
export interface PromClientLike<C, H, G, R> {
  Counter: new (config: MetricConfig<R>) => C;
  Histogram: new (config: MetricConfig<R> & { buckets: number[] }) => H;
  Gauge: new (config: MetricConfig<R>) => G;
}

export interface AppInstruments<C, H, G> {
  /** Messages (images) sent by an endpoint. */
  sent: C;
  /** Messages processed by a worker. */
  processed: C;
  /** End-to-end latency seen by an endpoint, seconds. */
  latency: H;
  /** Processing time per message in a worker, seconds. */
  processing: H;
  /** Messages waiting in the worker queue. */
  queue: G;
}

export function createAppInstruments<C, H, G, R>(
  prom: PromClientLike<C, H, G, R>,
  registry: R,
): AppInstruments<C, H, G> {
  const registers = [registry];
  return {
    sent: new prom.Counter({
      name: 'continuum_app_messages_sent_total',
      help: 'Messages (images) sent by an endpoint.',
      registers,
    }),
    processed: new prom.Counter({
      name: 'continuum_app_messages_processed_total',
      help: 'Messages processed by a worker.',
      registers,
    }),
    latency: new prom.Histogram({
      name: 'continuum_app_latency_seconds',
      help: 'End-to-end latency seen by an endpoint.',
      buckets: APP_METRIC_BUCKETS_S,
      registers,
    }),
    processing: new prom.Histogram({
      name: 'continuum_app_processing_seconds',
      help: 'Processing time per message in a worker.',
      buckets: APP_METRIC_BUCKETS_S,
      registers,
    }),
    queue: new prom.Gauge({
      name: 'continuum_app_queue_length',
      help: 'Messages waiting in the worker queue.',
      registers,
    }),
  };
}
