import { parentPort, workerData } from 'node:worker_threads';
import type { ResolvedModel } from '../model/resolve.js';
import { createClassifier } from './classifier.js';

/** Worker-thread body: one classifier session, one job at a time, driven by the pool in the main thread. */
export type ThreadRequest =
  { id: number; kind: 'classify'; jpeg: Uint8Array } | { id: number; kind: 'infer'; tensor: Float32Array };

export type ThreadResponse =
  | {
      id: number;
      ok: true;
      procMs: number;
      decodeMs: number;
      inferMs: number;
      top5: { label: string; score: number }[];
    }
  | { id: number; ok: false; error: string };

const port = parentPort;
if (port === null) throw new Error('infer-thread must run as a worker thread');

const classifier = await createClassifier((workerData as { model: ResolvedModel }).model);
port.on('message', (req: ThreadRequest | { kind: 'close' }) => {
  if (req.kind === 'close') {
    void classifier.close().finally(() => port.close());
    return;
  }
  void (async () => {
    try {
      if (req.kind === 'classify') {
        port.postMessage({
          id: req.id,
          ok: true,
          ...(await classifier.classify(req.jpeg)),
        } satisfies ThreadResponse);
      } else {
        const t0 = performance.now();
        await classifier.inferTensor(req.tensor);
        const ms = performance.now() - t0;
        port.postMessage({
          id: req.id,
          ok: true,
          procMs: ms,
          decodeMs: 0,
          inferMs: ms,
          top5: [],
        } satisfies ThreadResponse);
      }
    } catch (error) {
      port.postMessage({
        id: req.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      } satisfies ThreadResponse);
    }
  })();
});
port.postMessage({ ready: true });
