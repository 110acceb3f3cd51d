import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { ComponentRecord } from '../protocol.js';
import { nowMs } from '../runtime/pool.js';

/**
 * Shared plumbing of the component programs (worker, endpoint, combined). These run as separate
 * processes on the nodes, so unlike the plugin they do print (JSON records on stdout) and exit.
 */

// Records are batched (one write per 50 ms instead of one per image): each write is a syscall on
// the cores the worker measures. Milestones flush at once, and so does exit.
let pending: string[] = [];
let flushTimer: NodeJS.Timeout | undefined;
const URGENT = new Set<ComponentRecord['type']>(['ready', 'end', 'worker-end', 'error']);

export function flushRecords(): void {
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (pending.length === 0) return;
  process.stdout.write(`${pending.join('\n')}\n`);
  pending = [];
}
process.on('exit', flushRecords);
// Stopped by the benchmark or teardown: keep what was measured, then exit as a signal would.
// A server (the function) is meant to be stopped this way and sets a clean exit code instead.
let stopExitCode: number | undefined;
export function exitCleanlyOnStop(): void {
  stopExitCode = 0;
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    flushRecords();
    process.exit(stopExitCode ?? (signal === 'SIGTERM' ? 143 : 130));
  });
}

export function emit(record: ComponentRecord): void {
  pending.push(JSON.stringify(record));
  if (URGENT.has(record.type)) flushRecords();
  else flushTimer ??= setTimeout(flushRecords, 50);
}

/** CPU time of this process (all threads), ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function fail(message: string, code = 1): never {
  emit({ type: 'error', t: nowMs(), message });
  process.exit(code);
}

export function envString(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') fail(`environment variable ${name} is required`, 2);
  return v;
}

export function envInt(name: string, fallback?: number): number {
  const raw = process.env[name];
  if ((raw === undefined || raw === '') && fallback !== undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) fail(`environment variable ${name} must be a number, got ${String(raw)}`, 2);
  return v;
}

export function loadImages(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) fail(`no JPEG images in ${dir}`, 2);
  return files;
}

export const readImage = (path: string): Buffer => readFileSync(path);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Connects to a broker and watches the connection: if it stays down longer than `lossSeconds`
 * (the broker died), the component records an error and exits with code 3, so the benchmark
 * reports a failure instead of hanging.
 */
export async function connectBroker(url: string, clientId: string, lossSeconds: number): Promise<MqttClient> {
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(url, {
    clientId,
    reconnectPeriod: 500,
    connectTimeout: 5000,
    clean: true,
    keepalive: 10,
  }).catch((error: unknown) =>
    fail(
      `cannot connect to MQTT broker ${url}: ${error instanceof Error ? error.message : String(error)}`,
      3,
    ),
  );
  let downSince: number | undefined;
  client.on('close', () => (downSince ??= Date.now()));
  client.on('connect', () => (downSince = undefined));
  client.on('error', () => undefined);
  const timer = setInterval(() => {
    if (downSince !== undefined && Date.now() - downSince > lossSeconds * 1000) {
      fail(`lost the connection to MQTT broker ${url} for more than ${lossSeconds} s (broker down?)`, 3);
    }
  }, 200);
  timer.unref();
  return client;
}

/**
 * Upstream's rate loop: image i is due at start + i/frequency. When a send finishes after the next
 * one was due, the endpoint cannot keep up (upstream prints "Can't keep up"); it does not skip
 * images, it just falls behind.
 */
export async function rateLoop(
  frequency: number,
  count: number,
  tick: (seq: number) => Promise<void> | void,
  onBehind: (seq: number, lagMs: number) => void,
): Promise<void> {
  const period = 1000 / frequency;
  const start = nowMs();
  for (let seq = 0; seq < count; seq++) {
    const due = start + seq * period;
    const wait = due - nowMs();
    if (wait > 1) await sleep(wait);
    await tick(seq);
    const lag = nowMs() - (due + period);
    if (lag > 0) onBehind(seq, lag);
  }
}

export async function closeClients(clients: Iterable<MqttClient>): Promise<void> {
  await Promise.all([...clients].map((c) => c.endAsync(false).catch(() => undefined)));
}
