import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ContinuumError } from '@continuum/plugin-api';
import type { KerasModelConfig, Weight } from './keras-to-onnx.js';

/**
 * Reads the Keras models nsfwjs ships as JS modules (model JSON + base64 weight shards) and
 * dequantises the uint8 weights by hand (value = min + q * scale, as tfjs does), so no tfjs is needed.
 */

export type BuiltinModel = 'mobilenet-v2' | 'inception-v3';

const FOLDERS: Record<BuiltinModel, string> = {
  'mobilenet-v2': 'mobilenet_v2',
  'inception-v3': 'inception_v3',
};

/** nsfwjs' class order (NSFW_CLASSES in nsfwjs). */
export const NSFW_LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: string };
}

interface ModelModule {
  modelTopology: { model_config: { class_name: string; config: KerasModelConfig } };
  weightsManifest: { paths: string[]; weights: ManifestEntry[] }[];
}

const require = createRequire(import.meta.url);

export function nsfwjsModelDir(model: BuiltinModel): string {
  let root: string | undefined;
  try {
    // nsfwjs does not export its package.json: walk up from its main entry to the package root.
    for (let dir = dirname(require.resolve('nsfwjs')); dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist', 'models'))) {
        root = dir;
        break;
      }
    }
    if (root === undefined) throw new Error('nsfwjs/dist/models not found');
  } catch (error) {
    throw new ContinuumError(
      'APP_MODEL_SOURCE_MISSING',
      'The nsfwjs package (which ships the MobileNetV2/InceptionV3 weights) is not installed.',
      {
        hint: 'Run npm install in the Continuum checkout (nsfwjs 4.3.0 is a dependency of @continuum/app-image-classification).',
        cause: error,
      },
    );
  }
  return join(root, 'dist', 'models', FOLDERS[model]);
}

function shardFiles(dir: string, module: ModelModule): string[] {
  return module.weightsManifest.flatMap((group) => group.paths.map((p) => join(dir, `${p}.min.js`)));
}

/** Content hash of the source files, used as the cache key of the converted model. */
export function nsfwjsSourceHash(model: BuiltinModel, converterVersion: string): string {
  const dir = nsfwjsModelDir(model);
  const hash = createHash('sha256').update(converterVersion).update(model);
  const modelFile = join(dir, 'model.min.js');
  hash.update(readFileSync(modelFile));
  for (const f of shardFiles(dir, require(modelFile) as ModelModule)) hash.update(readFileSync(f));
  return hash.digest('hex').slice(0, 16);
}

export function loadNsfwjsModel(model: BuiltinModel): {
  config: KerasModelConfig;
  weights: Map<string, Weight>;
} {
  const dir = nsfwjsModelDir(model);
  const module = require(join(dir, 'model.min.js')) as ModelModule;
  const weights = new Map<string, Weight>();
  for (const group of module.weightsManifest) {
    const shards = group.paths.map((p) => Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64'));
    const data = Buffer.concat(shards);
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(count);
      const q = entry.quantization;
      if (q?.dtype === 'uint8') {
        const min = q.min ?? 0;
        const scale = q.scale ?? 1;
        for (let i = 0; i < count; i++) values[i] = min + (data[offset + i] as number) * scale;
        offset += count;
      } else if (q === undefined && entry.dtype === 'float32') {
        values.set(
          new Float32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + count * 4)),
        );
        offset += count * 4;
      } else {
        throw new ContinuumError(
          'APP_MODEL_BAD_WEIGHTS',
          `Weight ${entry.name} uses ${q?.dtype ?? entry.dtype}, which the converter does not read.`,
        );
      }
      weights.set(entry.name, { shape: entry.shape, values });
    }
    if (offset !== data.length) {
      throw new ContinuumError(
        'APP_MODEL_BAD_WEIGHTS',
        `nsfwjs ${model}: manifest describes ${offset} bytes but the shards hold ${data.length}.`,
      );
    }
  }
  return { config: module.modelTopology.model_config.config, weights };
}
