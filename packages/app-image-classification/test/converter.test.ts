import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuiltinModel, PACKAGE_DIR, resolveModel } from '../src/model/resolve.js';
import { createClassifier } from '../src/runtime/classifier.js';

/**
 * The ONNX produced from nsfwjs' Keras weights must reproduce the original model: golden softmax
 * values were computed once with tfjs from the nsfwjs package (scripts/make-golden.mjs).
 */
const golden = JSON.parse(readFileSync(join(PACKAGE_DIR, 'test', 'golden.json'), 'utf8')) as {
  models: Record<string, Record<string, number[]>>;
};

describe('nsfwjs Keras → ONNX converter', () => {
  for (const model of ['mobilenet-v2', 'inception-v3'] as const) {
    it(`${model}: onnxruntime output matches tfjs within 1e-4 on the committed images`, async () => {
      const resolved = ensureBuiltinModel(model);
      const classifier = await createClassifier(resolved);
      try {
        const images = golden.models[model]!;
        expect(Object.keys(images).length).toBeGreaterThan(0);
        for (const [image, expected] of Object.entries(images)) {
          const tensor = await classifier.preprocess(
            readFileSync(join(PACKAGE_DIR, 'assets', 'images', image)),
          );
          const actual = Array.from(await classifier.inferTensor(tensor));
          expect(actual).toHaveLength(expected.length);
          const maxDiff = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
          expect(maxDiff, `${model} ${image}`).toBeLessThan(1e-4);
        }
      } finally {
        await classifier.close();
      }
    }, 120_000);
  }

  it('caches the converted model by content hash and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-ic-cache-'));
    const first = ensureBuiltinModel('mobilenet-v2', dir);
    expect(first.converted).toBe(true);
    expect(first.onnxPath).toContain(first.hash);
    const mtime = statSync(first.onnxPath).mtimeMs;
    const second = ensureBuiltinModel('mobilenet-v2', dir);
    expect(second.converted).toBe(false);
    expect(second.onnxPath).toBe(first.onnxPath);
    expect(statSync(second.onnxPath).mtimeMs).toBe(mtime);
    expect(readFileSync(first.labelsPath, 'utf8').trim().split('\n')).toEqual([
      'Drawing',
      'Hentai',
      'Neutral',
      'Porn',
      'Sexy',
    ]);
  });

  it('a custom model (any ONNX classifier + labels file) loads and classifies like the built-in one', async () => {
    const builtin = ensureBuiltinModel('mobilenet-v2');
    const custom = resolveModel(
      { onnx: builtin.onnxPath, labels: builtin.labelsPath, inputSize: 224, layout: 'nhwc' },
      '/',
    );
    expect(custom.hash).toMatch(/^[0-9a-f]{16}$/);
    const jpeg = readFileSync(join(PACKAGE_DIR, 'assets', 'images', 'chelsea.jpg'));
    const [a, b] = await Promise.all([createClassifier(builtin), createClassifier(custom)]);
    try {
      const [ra, rb] = [await a.classify(jpeg), await b.classify(jpeg)];
      expect(rb.top5).toEqual(ra.top5);
      expect(rb.top5[0]!.label).toBe('Neutral');
      expect(rb.top5).toHaveLength(5);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
