import { describe, expect, it } from 'vitest';
import { softmaxIfNeeded, toTensor, topK } from '../src/runtime/classifier.js';

describe('tensor layout and normalisation', () => {
  // 2x2 RGB image: pixel p has channels (10p, 10p+1, 10p+2).
  const rgb = Uint8Array.from([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]);

  it('nhwc keeps pixel-interleaved channels, scaled to 0..1', () => {
    const t = toTensor(rgb, 2, { layout: 'nhwc', mean: [0, 0, 0], std: [1, 1, 1] });
    expect(Array.from(t).map((v) => Math.round(v * 255))).toEqual(Array.from(rgb));
  });

  it('nchw puts each channel in its own plane and applies (x - mean) / std', () => {
    const t = toTensor(rgb, 2, { layout: 'nchw', mean: [0.5, 0, 0], std: [0.5, 1, 2] });
    const expectAt = (i: number, v: number): void => expect(t[i]).toBeCloseTo(v, 6);
    expectAt(0, (0 / 255 - 0.5) / 0.5); // R of pixel 0
    expectAt(3, (30 / 255 - 0.5) / 0.5); // R of pixel 3
    expectAt(4, 1 / 255); // G of pixel 0
    expectAt(11, 32 / 255 / 2); // B of pixel 3
  });

  it('applies softmax only to logits, and ranks the top 5', () => {
    const probs = Float32Array.from([0.1, 0.7, 0.2]);
    expect(softmaxIfNeeded(probs)).toBe(probs);
    const logits = softmaxIfNeeded(Float32Array.from([1, 3, 2]));
    expect(logits.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(topK(logits, ['a', 'b', 'c']).map((p) => p.label)).toEqual(['b', 'c', 'a']);
    expect(topK(Float32Array.from([0, 0, 0, 0, 0, 0, 1]), ['x'], 5)).toHaveLength(5);
  });
});
