import type { MqttClient } from 'mqtt';
import type { ResolvedModel } from './model/resolve.js';
import { decodeMessage, type Reply } from './protocol.js';
import { InferencePool, nowMs } from './runtime/pool.js';
import { closeClients, connectBroker, cpuMs, emit, envInt, envString, fail } from './components/common.js';
import { startMetrics } from './components/metrics.js';

/**
 * Worker component (upstream's "subscriber"): subscribes on its node's broker, queues every image
 * in the main thread, classifies it on one of CPU_THREADS single-threaded sessions and publishes the
 * original timestamp back to the sender's broker. Stops once every connected endpoint has sent its
 * end marker and the queue is drained.
 */
const workerId = envString('WORKER_ID');
const localUrl = envString('MQTT_LOCAL_URL');
const topic = envString('MQTT_TOPIC');
const expectedEndpoints = envInt('ENDPOINT_CONNECTED');
const threads = Math.max(1, Math.floor(envInt('CPU_THREADS', 1)));
const lossSeconds = envInt('BROKER_LOSS_SECONDS', 5);
const maxSeconds = envInt('MAX_SECONDS', 3600);
const model = JSON.parse(envString('MODEL_JSON')) as ResolvedModel;

setTimeout(
  () => fail(`worker did not finish within MAX_SECONDS=${maxSeconds}`, 4),
  maxSeconds * 1000,
).unref();

const pool = await InferencePool.start(model, threads).catch((error: unknown) =>
  fail(`cannot load model ${model.onnxPath}: ${error instanceof Error ? error.message : String(error)}`, 2),
);
const metrics = await startMetrics('worker', workerId).catch((error: unknown) =>
  fail(`cannot serve metrics: ${error instanceof Error ? error.message : String(error)}`, 2),
);
const local = await connectBroker(localUrl, `${workerId}-${process.pid}`, lossSeconds);
const replyClients = new Map<string, Promise<MqttClient>>();
const replyClient = (url: string): Promise<MqttClient> => {
  let c = replyClients.get(url);
  if (c === undefined) {
    c = connectBroker(url, `${workerId}-reply-${process.pid}-${replyClients.size}`, lossSeconds);
    replyClients.set(url, c);
  }
  return c;
};

const ended = new Set<string>();
let processed = 0;
let inFlightReplies = 0;
let finishing = false;

async function maybeFinish(): Promise<void> {
  if (finishing || ended.size < expectedEndpoints) return;
  finishing = true;
  await pool.drained();
  while (inFlightReplies > 0) await new Promise((r) => setTimeout(r, 10));
  emit({ type: 'worker-end', t: nowMs(), processed, endpoints: ended.size, cpuMs: cpuMs() });
  await closeClients([local, ...(await Promise.all(replyClients.values()))]);
  await pool.close();
  process.exit(0);
}

local.on('message', (_topic, payload) => {
  const receivedAt = nowMs();
  let message;
  try {
    message = decodeMessage(payload);
  } catch (error) {
    emit({
      type: 'error',
      t: receivedAt,
      message: `bad message: ${error instanceof Error ? error.message : String(error)}`,
    });
    return;
  }
  const { header, image } = message;
  if (header.kind === 'end') {
    ended.add(header.endpoint);
    void maybeFinish();
    return;
  }
  // One record per image (written when it is done): stdout lines cost CPU on the worker's cores.
  inFlightReplies++;
  const job = pool.classify(image);
  metrics.queue(pool.queued);
  job
    .then(async (result) => {
      processed++;
      metrics.processed();
      metrics.processing(result.procMs);
      metrics.queue(pool.queued);
      const top = result.top5[0] ?? { label: '', score: 0 };
      emit({
        type: 'processed',
        t: nowMs(),
        endpoint: header.endpoint,
        seq: header.seq,
        sentAt: header.t,
        dequeuedAt: result.dequeuedAt,
        delayMs: receivedAt - header.t,
        procMs: result.procMs,
        queueMs: result.queueMs,
        top5: result.top5.map((p) => ({ label: p.label, score: Math.round(p.score * 1e4) / 1e4 })),
      });
      const reply: Reply = {
        seq: header.seq,
        t: header.t,
        worker: workerId,
        label: top.label,
        score: top.score,
      };
      const client = await replyClient(header.replyUrl);
      client.publish(header.replyTopic, JSON.stringify(reply), { qos: 0 });
    })
    .catch((error: unknown) =>
      fail(`classification failed: ${error instanceof Error ? error.message : String(error)}`, 5),
    )
    .finally(() => inFlightReplies--);
});

await local.subscribeAsync(topic, { qos: 2 });
emit({
  type: 'ready',
  t: nowMs(),
  component: workerId,
  cpuMs: cpuMs(),
  ...(metrics.url !== undefined ? { metricsUrl: metrics.url } : {}),
});
