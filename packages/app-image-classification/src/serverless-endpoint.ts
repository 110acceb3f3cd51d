import { Agent, request as httpRequest } from 'node:http';
import type { FunctionResponse } from './protocol.js';
import { nowMs } from './runtime/pool.js';
import { emit, envInt, envString, fail, loadImages, readImage } from './components/common.js';
import { startMetrics } from './components/metrics.js';

/**
 * Endpoint of the serverless variant (upstream's serverless publisher): synchronous HTTP POSTs of
 * `{image: base64, time: ns}` to the function. Per image it records the JSON size (`Sending data
 * (bytes)`), base64 + JSON time (`Preparation and preprocessing (ns)`) and the round trip from the
 * timestamp (`Latency (ns)`). Upstream's rate loop: after each answer it waits only for what is
 * left of the frame period, so a slow function lowers the rate instead of queueing requests.
 */
const endpointId = envString('ENDPOINT_ID');
const frequency = envInt('FREQUENCY');
const duration = envInt('DURATION');
const functionUrl = envString('FUNCTION_URL');
const requestTimeoutMs = envInt('REQUEST_TIMEOUT', 30) * 1000;
const readyTimeoutMs = envInt('FUNCTION_READY_TIMEOUT', 120) * 1000;
/** Give up (exit 3) when every request fails for this long: the function is gone. */
const failureSeconds = envInt('FUNCTION_LOSS_SECONDS', 5);
const images = loadImages(envString('IMAGES_DIR'));
const metrics = await startMetrics('endpoint', endpointId).catch((error: unknown) =>
  fail(`cannot serve metrics: ${error instanceof Error ? error.message : String(error)}`, 2),
);

const target = new URL(functionUrl);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface HttpAnswer {
  status: number;
  body: string;
}

function send(method: 'GET' | 'POST', path: string, body?: string, seq?: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method,
        host: target.hostname,
        port: target.port || 80,
        path,
        agent,
        timeout: requestTimeoutMs,
        headers: {
          ...(body !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
            : {}),
          'x-continuum-endpoint': endpointId,
          ...(seq !== undefined ? { 'x-continuum-seq': String(seq) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${requestTimeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const invokePath = target.pathname + target.search;
const healthPath = `${target.pathname.replace(/\/$/, '')}/_/health`;

// Wait until the function answers its health check (a gateway may route before the pod is ready).
const readyBy = Date.now() + readyTimeoutMs;
for (;;) {
  const ok = await send('GET', healthPath).then(
    (a) => a.status === 200,
    () => false,
  );
  if (ok) break;
  if (Date.now() > readyBy)
    fail(`function ${functionUrl} did not answer ${healthPath} within ${readyTimeoutMs / 1000} s`, 3);
  await sleep(200);
}
emit({
  type: 'ready',
  t: nowMs(),
  component: endpointId,
  ...(metrics.url !== undefined ? { metricsUrl: metrics.url } : {}),
});

const total = frequency * duration;
const period = 1000 / frequency;
let sent = 0;
let received = 0;
let behind = 0;
let failingSince: number | undefined;
for (let seq = 0; seq < total; seq++) {
  const t = nowMs();
  const image = readImage(images[seq % images.length] as string);
  const body = JSON.stringify({ image: image.toString('base64'), time: Math.round(t * 1e6) });
  emit({ type: 'sent', t, seq, bytes: Buffer.byteLength(body), prepMs: nowMs() - t });
  sent++;
  metrics.sent();
  try {
    const answer = await send('POST', invokePath, body, seq);
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
    const done = nowMs();
    const r = JSON.parse(answer.body) as FunctionResponse;
    received++;
    failingSince = undefined;
    metrics.latency(done - t);
    emit({
      type: 'reply',
      t: done,
      seq,
      sentAt: t,
      latencyMs: done - t,
      worker: r.worker,
      label: r.labels[0]?.label ?? '',
      procMs: r.processingNs / 1e6,
      queueMs: r.queueNs / 1e6,
    });
  } catch (error) {
    const now = nowMs();
    emit({
      type: 'request-failed',
      t: now,
      seq,
      message: error instanceof Error ? error.message : String(error),
    });
    failingSince ??= now;
    if (now - failingSince > failureSeconds * 1000) {
      emit({ type: 'end', t: now, sent, received, lost: sent - received, behind });
      fail(
        `function ${functionUrl} failed every request for more than ${failureSeconds} s (last: ${error instanceof Error ? error.message : String(error)})`,
        3,
      );
    }
  }
  const elapsed = nowMs() - t;
  if (elapsed < period) await sleep(period - elapsed);
  else {
    behind++;
    emit({ type: 'behind', t: nowMs(), seq, lagMs: elapsed - period });
  }
}
emit({ type: 'end', t: nowMs(), sent, received, lost: sent - received, behind });
agent.destroy();
await metrics.close();
process.exit(0);
