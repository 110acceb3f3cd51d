/**
 * Wire format between endpoints and workers, and the JSON-lines records components print on
 * stdout (the benchmark parses them into upstream's tables; raw lines are kept as artifacts).
 */

/** Request header; the JPEG bytes follow it (upstream appended a 20-digit timestamp and the sender IP). */
export interface ImageHeader {
  kind: 'image';
  /** Send time, epoch ms with sub-ms precision (upstream: time_ns()). */
  t: number;
  seq: number;
  endpoint: string;
  /** Broker URL and topic the reply goes to (the endpoint's own broker, as upstream). */
  replyUrl: string;
  replyTopic: string;
}

/** Upstream publishes "1" with QoS 2 after the last image. */
export interface EndHeader {
  kind: 'end';
  endpoint: string;
  sent: number;
}

export type Header = ImageHeader | EndHeader;

export interface Reply {
  seq: number;
  /** The original send timestamp, echoed back (upstream echoes the 20-byte timestamp). */
  t: number;
  worker: string;
  label: string;
  score: number;
}

export function encodeMessage(header: Header, image?: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  return image === undefined ? Buffer.concat([len, json]) : Buffer.concat([len, json, image]);
}

export function decodeMessage(payload: Buffer): { header: Header; image: Uint8Array } {
  if (payload.length < 4) throw new Error(`message too short (${payload.length} bytes)`);
  const len = payload.readUInt32LE(0);
  if (4 + len > payload.length) throw new Error('message header length exceeds payload');
  const header = JSON.parse(payload.subarray(4, 4 + len).toString('utf8')) as Header;
  return { header, image: payload.subarray(4 + len) };
}

/** Records printed by components, one JSON object per stdout line. */
export type ComponentRecord =
  | {
      type: 'ready';
      t: number;
      component: string;
      /** Process CPU time so far (user+system), ms. */ cpuMs?: number;
      /** prom-client scrape URL, when metrics are enabled. */ metricsUrl?: string;
      /** The function's own invocation URL (serverless variant), when it is not behind a gateway. */ url?: string;
    }
  | { type: 'sent'; t: number; seq: number; bytes: number; prepMs: number }
  | {
      type: 'reply';
      t: number;
      seq: number;
      sentAt: number;
      latencyMs: number;
      worker: string;
      label: string;
      /** Serverless: the function's processing and queueing time for this image, from its answer. */
      procMs?: number;
      queueMs?: number;
    }
  | {
      type: 'processed';
      t: number;
      endpoint: string;
      seq: number;
      /** Epoch ms: generated/sent, received by the worker (or generated, in endpoint-only mode), dequeued. */
      sentAt: number;
      dequeuedAt: number;
      /** Worker mode: communication delay, endpoint send → worker receive (upstream's worker `Latency (ns)`). */
      delayMs?: number;
      procMs: number;
      queueMs: number;
      /** End-to-end, endpoint-only mode only (generation → result). */
      latencyMs?: number;
      top5: { label: string; score: number }[];
    }
  | { type: 'behind'; t: number; seq: number; lagMs: number }
  /** Serverless: an invocation that got no answer (connection refused, HTTP error, timeout). */
  | { type: 'request-failed'; t: number; seq: number; message: string }
  | { type: 'end'; t: number; sent: number; received: number; lost: number; behind: number }
  | {
      type: 'worker-end';
      t: number;
      processed: number;
      endpoints: number;
      /** Process CPU time (user+system, all threads), ms. */ cpuMs: number;
    }
  | { type: 'error'; t: number; message: string };

export function parseRecords(lines: readonly string[]): { records: ComponentRecord[]; other: string[] } {
  const records: ComponentRecord[] = [];
  const other: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith('{')) {
      try {
        const value = JSON.parse(trimmed) as ComponentRecord;
        if (typeof value === 'object' && value !== null && typeof value.type === 'string') {
          records.push(value);
          continue;
        }
      } catch {
        // not a record; keep as text
      }
    }
    if (trimmed.length > 0) other.push(line);
  }
  return { records, other };
}

/** Serverless request body, as upstream's publisher POSTs it: base64 JPEG and the send time in ns. */
export interface FunctionRequest {
  image: string;
  /** Epoch nanoseconds (upstream: time.time_ns()). */
  time: number;
}

/** The function's answer: top-5 labels and its processing time (upstream returns both). */
export interface FunctionResponse {
  labels: { label: string; score: number }[];
  processingNs: number;
  /** Time the request waited for a free inference thread, ns. */
  queueNs: number;
  /** Request received minus `time` (upstream's function `Latency (ns)`), ns. */
  latencyNs: number;
  worker: string;
}
