import { readFileSync } from 'node:fs';
import type { ResolvedModel } from '../model/resolve.js';

/** Top-k entry of a classification. */
export interface Prediction {
  label: string;
  score: number;
}

export interface Classification {
  /** Decode + resize + inference, ms (upstream's `Processing (ns)`). */
  procMs: number;
  decodeMs: number;
  inferMs: number;
  top5: Prediction[];
}

export interface Classifier {
  classify(jpeg: Uint8Array): Promise<Classification>;
  /** Inference only, on an already preprocessed tensor (for the raw-throughput benchmark). */
  inferTensor(tensor: Float32Array): Promise<Float32Array>;
  preprocess(jpeg: Uint8Array): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Pixels (RGB, HWC uint8) → the model's float tensor layout and normalisation. */
export function toTensor(
  rgb: Uint8Array,
  size: number,
  model: Pick<ResolvedModel, 'layout' | 'mean' | 'std'>,
): Float32Array {
  const out = new Float32Array(size * size * 3);
  const [m0, m1, m2] = model.mean;
  const [s0, s1, s2] = model.std;
  const mean = [m0, m1, m2];
  const std = [s0, s1, s2];
  const plane = size * size;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = ((rgb[p * 3 + c] as number) / 255 - (mean[c] as number)) / (std[c] as number);
      if (model.layout === 'nhwc') out[p * 3 + c] = v;
      else out[c * plane + p] = v;
    }
  }
  return out;
}

export function softmaxIfNeeded(values: Float32Array): Float32Array {
  let sum = 0;
  let inRange = true;
  for (const v of values) {
    sum += v;
    if (v < 0 || v > 1) inRange = false;
  }
  if (inRange && Math.abs(sum - 1) < 1e-3) return values;
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / total);
}

export function topK(probabilities: Float32Array, labels: readonly string[], k = 5): Prediction[] {
  return [...probabilities]
    .map((score, i) => ({ label: labels[i] ?? `class ${i}`, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

export function readLabels(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * One single-threaded ONNX Runtime session (upstream: one TFLite interpreter with 1 thread per
 * process) plus sharp decoding. Heavy modules load lazily so importing this file stays cheap.
 */
export async function createClassifier(model: ResolvedModel): Promise<Classifier> {
  const [{ default: sharp }, ort] = await Promise.all([import('sharp'), import('onnxruntime-node')]);
  // One core per session: libvips must not spread its own threads over the other cores.
  sharp.concurrency(1);
  sharp.cache(false);
  const session = await ort.InferenceSession.create(model.onnxPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inputName = session.inputNames[0] as string;
  const outputName = session.outputNames[0] as string;
  const labels = readLabels(model.labelsPath);
  const size = model.inputSize;
  const dims = model.layout === 'nhwc' ? [1, size, size, 3] : [1, 3, size, size];

  const preprocess = async (jpeg: Uint8Array): Promise<Float32Array> => {
    const rgb = await sharp(jpeg).removeAlpha().resize(size, size, { fit: 'fill' }).raw().toBuffer();
    return toTensor(rgb, size, model);
  };
  const inferTensor = async (tensor: Float32Array): Promise<Float32Array> => {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', tensor, dims) });
    return result[outputName]!.data as Float32Array;
  };
  return {
    preprocess,
    inferTensor,
    async classify(jpeg) {
      const t0 = performance.now();
      const tensor = await preprocess(jpeg);
      const t1 = performance.now();
      const out = softmaxIfNeeded(await inferTensor(tensor));
      const t2 = performance.now();
      return { procMs: t2 - t0, decodeMs: t1 - t0, inferMs: t2 - t1, top5: topK(out, labels) };
    },
    close: () => session.release(),
  };
}
