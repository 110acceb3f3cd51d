import { Worker } from 'node:worker_threads';
import type { ResolvedModel } from '../model/resolve.js';
import type { Classification } from './classifier.js';
import type { ThreadRequest, ThreadResponse } from './infer-thread.js';

export interface PoolResult extends Classification {
  /** Time the job waited in the main-thread queue, ms. */
  queueMs: number;
  /** Epoch ms when a thread picked the job up (upstream's `Get item`). */
  dequeuedAt: number;
  thread: number;
}

type Payload = { kind: 'classify'; jpeg: Uint8Array } | { kind: 'infer'; tensor: Float32Array };

interface Pending {
  id: number;
  payload: Payload;
  enqueuedAt: number;
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  index: number;
  job: (Pending & { dequeuedAt: number }) | undefined;
}

export const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * A fixed set of worker threads, each with its own single-threaded session (upstream: a
 * multiprocessing pool of CPU_THREADS interpreters). The queue lives in the main thread on
 * purpose: when the threads cannot keep up, jobs wait here and the wait shows up in latency.
 */
export class InferencePool {
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private idleWaiters: (() => void)[] = [];
  private failure: Error | undefined;

  private constructor(private readonly slots: Slot[]) {
    for (const slot of slots) {
      slot.worker.on('message', (msg: ThreadResponse) => this.onResult(slot, msg));
      slot.worker.on('error', (error) => this.fail(slot, error));
      slot.worker.on('exit', (code) => {
        if (code !== 0) this.fail(slot, new Error(`inference thread ${slot.index} exited with code ${code}`));
      });
    }
  }

  static async start(model: ResolvedModel, threads: number): Promise<InferencePool> {
    const url = new URL('./infer-thread.js', import.meta.url);
    const slots = await Promise.all(
      Array.from({ length: threads }, (_, index) => {
        const worker = new Worker(url, { workerData: { model } });
        return new Promise<Slot>((resolve, reject) => {
          const onError = (e: Error): void => reject(e);
          worker.once('error', onError);
          worker.once('message', () => {
            worker.off('error', onError);
            resolve({ worker, index, job: undefined });
          });
        });
      }),
    );
    return new InferencePool(slots);
  }

  get threads(): number {
    return this.slots.length;
  }

  get queued(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.slots.filter((s) => s.job !== undefined).length;
  }

  classify(jpeg: Uint8Array): Promise<PoolResult> {
    return this.submit({ kind: 'classify', jpeg });
  }

  /** Inference only on a preprocessed tensor (benchmark of the raw runtime). */
  infer(tensor: Float32Array): Promise<PoolResult> {
    return this.submit({ kind: 'infer', tensor });
  }

  private submit(payload: Payload): Promise<PoolResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, payload, enqueuedAt: nowMs(), resolve, reject });
      this.dispatch();
    });
  }

  /** Resolves once the queue is empty and every thread is idle. */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job !== undefined) continue;
      const job = this.queue.shift();
      if (job === undefined) break;
      slot.job = { ...job, dequeuedAt: nowMs() };
      // A Buffer is often a view into a much larger ArrayBuffer (the MQTT packet, a pool slab), and
      // postMessage would clone all of it: copy exactly the bytes and transfer the copy instead.
      // (Buffer#slice would be a view: construct new typed arrays, which always copy.)
      const data =
        job.payload.kind === 'classify'
          ? new Uint8Array(job.payload.jpeg)
          : new Float32Array(job.payload.tensor);
      const req: ThreadRequest =
        job.payload.kind === 'classify'
          ? { id: job.id, kind: 'classify', jpeg: data as Uint8Array }
          : { id: job.id, kind: 'infer', tensor: data as Float32Array };
      slot.worker.postMessage(req, [data.buffer]);
    }
    if (this.queue.length === 0 && this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private onResult(slot: Slot, msg: ThreadResponse): void {
    const job = slot.job;
    if (job === undefined || job.id !== msg.id) return;
    slot.job = undefined;
    if (msg.ok) {
      job.resolve({
        procMs: msg.procMs,
        decodeMs: msg.decodeMs,
        inferMs: msg.inferMs,
        top5: msg.top5,
        queueMs: job.dequeuedAt - job.enqueuedAt,
        dequeuedAt: job.dequeuedAt,
        thread: slot.index,
      });
    } else {
      job.reject(new Error(msg.error));
    }
    this.dispatch();
  }

  private fail(slot: Slot, error: Error): void {
    this.failure ??= error;
    slot.job?.reject(error);
    slot.job = undefined;
    for (const job of this.queue.splice(0)) job.reject(error);
    this.dispatch();
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
