import type { ResolvedModel } from './model/resolve.js';
import { InferencePool, nowMs } from './runtime/pool.js';
import { emit, envInt, envString, fail, loadImages, rateLoop, readImage } from './components/common.js';
import { startMetrics } from './components/metrics.js';

/**
 * Endpoint-only mode (upstream's "combined" container): the endpoint generates FREQUENCY images per
 * second and classifies them itself on CPU_THREADS sessions. Latency = generation → result.
 */
const endpointId = envString('ENDPOINT_ID');
const frequency = envInt('FREQUENCY');
const duration = envInt('DURATION');
const threads = Math.max(1, Math.floor(envInt('CPU_THREADS', 1)));
const drainTimeout = envInt('REPLY_TIMEOUT', Math.max(10, duration));
const model = JSON.parse(envString('MODEL_JSON')) as ResolvedModel;
const images = loadImages(envString('IMAGES_DIR'));

const pool = await InferencePool.start(model, threads).catch((error: unknown) =>
  fail(`cannot load model ${model.onnxPath}: ${error instanceof Error ? error.message : String(error)}`, 2),
);
const metrics = await startMetrics('combined', endpointId).catch((error: unknown) =>
  fail(`cannot serve metrics: ${error instanceof Error ? error.message : String(error)}`, 2),
);
emit({
  type: 'ready',
  t: nowMs(),
  component: endpointId,
  ...(metrics.url !== undefined ? { metricsUrl: metrics.url } : {}),
});

const total = frequency * duration;
let received = 0;
let behind = 0;
await rateLoop(
  frequency,
  total,
  (seq) => {
    const t = nowMs();
    const image = readImage(images[seq % images.length] as string);
    const prepMs = nowMs() - t;
    emit({ type: 'sent', t, seq, bytes: image.length, prepMs });
    metrics.sent();
    const job = pool.classify(image);
    metrics.queue(pool.queued);
    job
      .then((result) => {
        received++;
        const done = nowMs();
        metrics.processed();
        metrics.processing(result.procMs);
        metrics.latency(done - t);
        metrics.queue(pool.queued);
        emit({
          type: 'processed',
          t: done,
          endpoint: endpointId,
          seq,
          sentAt: t,
          dequeuedAt: result.dequeuedAt,
          procMs: prepMs + result.procMs,
          queueMs: result.queueMs,
          latencyMs: done - t,
          top5: result.top5.map((p) => ({ label: p.label, score: Math.round(p.score * 1e4) / 1e4 })),
        });
      })
      .catch((error: unknown) =>
        fail(`classification failed: ${error instanceof Error ? error.message : String(error)}`, 5),
      );
  },
  (seq, lagMs) => {
    behind++;
    emit({ type: 'behind', t: nowMs(), seq, lagMs });
  },
);
await Promise.race([pool.drained(), new Promise((r) => setTimeout(r, drainTimeout * 1000).unref())]);
emit({ type: 'end', t: nowMs(), sent: total, received, lost: total - received, behind });
await pool.close();
process.exit(0);
