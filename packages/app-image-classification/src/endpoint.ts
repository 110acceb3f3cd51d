import { encodeMessage, type Reply } from './protocol.js';
import { nowMs } from './runtime/pool.js';
import {
  closeClients,
  connectBroker,
  emit,
  envInt,
  envString,
  fail,
  loadImages,
  rateLoop,
  readImage,
} from './components/common.js';
import { startMetrics } from './components/metrics.js';

/**
 * Endpoint component (upstream's "publisher"): a camera that sends FREQUENCY JPEGs per second for
 * DURATION seconds to its worker's broker, then the end marker (QoS 2), then waits (bounded) for the
 * outstanding replies on its own broker. Every reply gives one end-to-end latency.
 */
const endpointId = envString('ENDPOINT_ID');
const frequency = envInt('FREQUENCY');
const duration = envInt('DURATION');
const localUrl = envString('MQTT_LOCAL_URL');
const remoteUrl = envString('MQTT_REMOTE_URL');
const requestTopic = envString('MQTT_TOPIC');
const replyTopic = envString('REPLY_TOPIC');
const replyTimeout = envInt('REPLY_TIMEOUT', Math.max(10, duration));
const lossSeconds = envInt('BROKER_LOSS_SECONDS', 5);
const images = loadImages(envString('IMAGES_DIR'));

const metrics = await startMetrics('endpoint', endpointId).catch((error: unknown) =>
  fail(`cannot serve metrics: ${error instanceof Error ? error.message : String(error)}`, 2),
);
const local = await connectBroker(localUrl, `${endpointId}-local-${process.pid}`, lossSeconds);
const remote = await connectBroker(remoteUrl, `${endpointId}-remote-${process.pid}`, lossSeconds);

const outstanding = new Set<number>();
let received = 0;
let onAllReplies: (() => void) | undefined;
local.on('message', (_topic, payload) => {
  const now = nowMs();
  let reply: Reply;
  try {
    reply = JSON.parse(payload.toString('utf8')) as Reply;
  } catch {
    return;
  }
  if (!outstanding.delete(reply.seq)) return;
  received++;
  metrics.latency(now - reply.t);
  emit({
    type: 'reply',
    t: now,
    seq: reply.seq,
    sentAt: reply.t,
    latencyMs: now - reply.t,
    worker: reply.worker,
    label: reply.label,
  });
  if (outstanding.size === 0) onAllReplies?.();
});
await local.subscribeAsync(replyTopic, { qos: 0 });
emit({
  type: 'ready',
  t: nowMs(),
  component: endpointId,
  ...(metrics.url !== undefined ? { metricsUrl: metrics.url } : {}),
});

const total = frequency * duration;
let behind = 0;
await rateLoop(
  frequency,
  total,
  (seq) => {
    const t = nowMs();
    const image = readImage(images[seq % images.length] as string);
    const payload = encodeMessage(
      { kind: 'image', t, seq, endpoint: endpointId, replyUrl: localUrl, replyTopic },
      image,
    );
    outstanding.add(seq);
    remote.publish(requestTopic, payload, { qos: 0 });
    metrics.sent();
    emit({ type: 'sent', t, seq, bytes: payload.length, prepMs: nowMs() - t });
  },
  (seq, lagMs) => {
    behind++;
    emit({ type: 'behind', t: nowMs(), seq, lagMs });
  },
);
await remote.publishAsync(requestTopic, encodeMessage({ kind: 'end', endpoint: endpointId, sent: total }), {
  qos: 2,
});

if (outstanding.size > 0) {
  await new Promise<void>((resolve) => {
    onAllReplies = resolve;
    setTimeout(resolve, replyTimeout * 1000).unref();
  });
}
emit({ type: 'end', t: nowMs(), sent: total, received, lost: outstanding.size, behind });
await closeClients([local, remote]);
process.exit(0);
