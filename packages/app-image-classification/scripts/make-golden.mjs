#!/usr/bin/env node
// Regenerates test/golden.json: softmax outputs of the ORIGINAL nsfwjs Keras models, computed with
// tfjs (pure-JS CPU backend, installed as nsfwjs' dependency), for the committed test images.
// The converter test checks the ONNX conversion against these numbers.
// Run after a build: node scripts/make-golden.mjs   (takes a few minutes: tfjs-cpu is slow)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const require = createRequire(join(pkg, 'package.json'));
const tf = require('@tensorflow/tfjs');
await tf.setBackend('cpu');
const nsfwjs = await import(require.resolve('nsfwjs'));
const { default: sharp } = await import('sharp');
const { toTensor } = await import(join(pkg, 'dist/runtime/classifier.js'));

const plan = [
  {
    model: 'mobilenet-v2',
    nsfwjsName: 'MobileNetV2',
    size: 224,
    images: ['astronaut.jpg', 'chelsea.jpg', 'coffee.jpg', 'rocket.jpg'],
  },
  { model: 'inception-v3', nsfwjsName: 'InceptionV3', size: 299, images: ['rocket.jpg'] },
];
const out = {
  generatedBy: 'scripts/make-golden.mjs',
  tfjs: tf.version.tfjs,
  backend: tf.getBackend(),
  preprocessing: "sharp(jpeg).removeAlpha().resize(size, size, {fit:'fill'}).raw() / 255, NHWC",
  models: {},
};
for (const { model, nsfwjsName, size, images } of plan) {
  const t0 = Date.now();
  const loaded = await nsfwjs.load(nsfwjsName, { size });
  console.error(`${model}: loaded in ${Date.now() - t0} ms`);
  out.models[model] = {};
  for (const image of images) {
    const rgb = await sharp(readFileSync(join(pkg, 'assets/images', image)))
      .removeAlpha()
      .resize(size, size, { fit: 'fill' })
      .raw()
      .toBuffer();
    const input = tf.tensor4d(toTensor(rgb, size, { layout: 'nhwc', mean: [0, 0, 0], std: [1, 1, 1] }), [
      1,
      size,
      size,
      3,
    ]);
    const t1 = Date.now();
    const probs = Array.from(await loaded.model.predict(input).data());
    console.error(`${model} ${image}: ${Date.now() - t1} ms`, probs.map((p) => p.toFixed(4)).join(' '));
    out.models[model][image] = probs;
  }
}
writeFileSync(join(pkg, 'test/golden.json'), `${JSON.stringify(out, null, 2)}\n`);
console.error('wrote test/golden.json');
