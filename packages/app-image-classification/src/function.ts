import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ResolvedModel } from './model/resolve.js';
import type { FunctionRequest, FunctionResponse } from './protocol.js';
import { InferencePool, nowMs } from './runtime/pool.js';
import { cpuMs, emit, envInt, envString, exitCleanlyOnStop, fail } from './components/common.js';
import { startMetrics } from './components/metrics.js';

/**
 * Serverless variant of the worker (upstream's OpenFaaS function `image`): an HTTP server that
 * classifies each POSTed `{image: base64, time: ns}` on CPU_THREADS single-threaded sessions and
 * answers with the labels and its processing time. It follows the contract rm-openfaas deploys:
 * port 8080 (PORT), POST / (any path: the gateway forwards /function/<name>/...), readiness on
 * GET /_/health. Unlike upstream's handler the model is loaded once, not per request. It serves
 * until it is stopped (SIGTERM → exit 0).
 */
const workerId = envString('WORKER_ID');
const threads = Math.max(1, Math.floor(envInt('CPU_THREADS', 1)));
const port = envInt('PORT', 8080);
const host = process.env['HOST'] || '0.0.0.0';
const maxSeconds = envInt('MAX_SECONDS', 24 * 3600);
const maxBodyBytes = envInt('MAX_BODY_BYTES', 32 * 1024 * 1024);
const model = JSON.parse(envString('MODEL_JSON')) as ResolvedModel;
exitCleanlyOnStop();

setTimeout(
  () => fail(`function did not stop within MAX_SECONDS=${maxSeconds}`, 4),
  maxSeconds * 1000,
).unref();

const pool = await InferencePool.start(model, threads).catch((error: unknown) =>
  fail(`cannot load model ${model.onnxPath}: ${error instanceof Error ? error.message : String(error)}`, 2),
);
const metrics = await startMetrics('worker', workerId).catch((error: unknown) =>
  fail(`cannot serve metrics: ${error instanceof Error ? error.message : String(error)}`, 2),
);
let processed = 0;

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseRequest(body: Buffer): FunctionRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  const r = value as Partial<FunctionRequest> | null;
  if (typeof r !== 'object' || r === null || typeof r.image !== 'string' || r.image.length === 0)
    return 'body needs "image" (base64 JPEG)';
  if (typeof r.time !== 'number' || !Number.isFinite(r.time)) return 'body needs "time" (epoch ns)';
  return { image: r.image, time: r.time };
}

async function invoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const receivedAt = nowMs();
  const body = await readBody(req);
  if (body === undefined) return answer(res, 413, { error: `body larger than ${maxBodyBytes} bytes` });
  const request = parseRequest(body);
  if (typeof request === 'string') return answer(res, 400, { error: request });
  const sentAt = request.time / 1e6;
  metrics.queue(pool.queued + 1);
  let result;
  try {
    result = await pool.classify(Buffer.from(request.image, 'base64'));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    emit({ type: 'error', t: nowMs(), message: `classification failed: ${message}` });
    return answer(res, 500, { error: message });
  } finally {
    metrics.queue(pool.queued);
  }
  processed++;
  metrics.processed();
  metrics.processing(result.procMs);
  const top5 = result.top5.map((p) => ({ label: p.label, score: Math.round(p.score * 1e4) / 1e4 }));
  emit({
    type: 'processed',
    t: nowMs(),
    endpoint: req.headers['x-continuum-endpoint']?.toString() ?? '',
    seq: Number(req.headers['x-continuum-seq'] ?? -1),
    sentAt,
    dequeuedAt: result.dequeuedAt,
    delayMs: receivedAt - sentAt,
    procMs: result.procMs,
    queueMs: result.queueMs,
    top5,
  });
  const response: FunctionResponse = {
    labels: top5,
    processingNs: Math.round(result.procMs * 1e6),
    queueNs: Math.round(result.queueMs * 1e6),
    latencyNs: Math.round((receivedAt - sentAt) * 1e6),
    worker: workerId,
  };
  answer(res, 200, response);
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'GET' && path.endsWith('/_/health'))
    return answer(res, 200, { status: 'ok', processed });
  if (req.method === 'GET' && path.endsWith('/metrics')) {
    void metrics.render().then(
      (m) =>
        m === undefined
          ? answer(res, 404, { error: 'metrics are off' })
          : res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
      (error: unknown) => answer(res, 500, { error: String(error) }),
    );
    return;
  }
  if (req.method !== 'POST') return answer(res, 405, { error: 'POST an image, or GET /_/health' });
  invoke(req, res).catch((error: unknown) => {
    if (!res.headersSent) answer(res, 500, { error: error instanceof Error ? error.message : String(error) });
  });
});
// Endpoints keep their connection open between frames (as a gateway does).
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => {
  server.once('error', (error) => fail(`cannot listen on ${host}:${port}: ${error.message}`, 2));
  server.listen(port, host, () => resolve());
});
const address = server.address();
const boundPort = typeof address === 'object' && address !== null ? address.port : port;
const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
emit({
  type: 'ready',
  t: nowMs(),
  component: workerId,
  cpuMs: cpuMs(),
  url: `http://${shownHost}:${boundPort}/`,
  ...(metrics.url !== undefined ? { metricsUrl: metrics.url } : {}),
});
