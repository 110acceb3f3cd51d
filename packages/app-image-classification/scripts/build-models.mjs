#!/usr/bin/env node
// Converts the nsfwjs Keras models to ONNX once and caches them (run after `tsc -b`):
//   node scripts/build-models.mjs [mobilenet-v2] [inception-v3]
// Cache: $CONTINUUM_MODEL_CACHE, else $XDG_CACHE_HOME/continuum/models, else <package>/.cache/models.
// `deploy` does the same on demand, so this step only moves the conversion out of the first run.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const { ensureBuiltinModel } = await import(join(pkg, 'dist/model/resolve.js'));
const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : ['mobilenet-v2']) {
  const m = ensureBuiltinModel(name);
  console.log(
    `${name}: ${m.onnxPath} (${m.converted ? `converted in ${m.convertMs.toFixed(0)} ms` : 'already cached'})`,
  );
}
