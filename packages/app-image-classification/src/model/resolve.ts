import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContinuumError } from '@continuum/plugin-api';
import type { ModelOption } from '../options.js';
import { convertKerasToOnnx } from './keras-to-onnx.js';
import { loadNsfwjsModel, NSFW_LABELS, nsfwjsSourceHash, type BuiltinModel } from './nsfwjs-source.js';

/** Bump when the converter's output changes, so cached files are rebuilt. */
export const CONVERTER_VERSION = 'keras2onnx-1';

export type Layout = 'nhwc' | 'nchw';

/** Everything a worker needs to load and feed a model. Plain JSON (passed through env to components). */
export interface ResolvedModel {
  name: string;
  onnxPath: string;
  labelsPath: string;
  inputSize: number;
  layout: Layout;
  /** Per-channel mean/std applied after scaling pixels to 0..1 (identity for the nsfwjs models). */
  mean: [number, number, number];
  std: [number, number, number];
  /** Content hash (cache key / provenance in results). */
  hash: string;
}

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['CONTINUUM_MODEL_CACHE']) return env['CONTINUUM_MODEL_CACHE'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'continuum', 'models');
  return join(PACKAGE_DIR, '.cache', 'models');
}

const BUILTIN_INPUT: Record<BuiltinModel, number> = { 'mobilenet-v2': 224, 'inception-v3': 299 };

/** Converts (once) and caches an nsfwjs model as ONNX; returns the cached file if it is already there. */
export function ensureBuiltinModel(
  model: BuiltinModel,
  cacheDir = modelCacheDir(),
): ResolvedModel & { converted: boolean; convertMs: number } {
  const hash = nsfwjsSourceHash(model, CONVERTER_VERSION);
  mkdirSync(cacheDir, { recursive: true });
  const onnxPath = join(cacheDir, `${model}-${hash}.onnx`);
  const labelsPath = join(cacheDir, `${model}-${hash}.labels.txt`);
  let converted = false;
  const started = performance.now();
  if (!existsSync(onnxPath) || statSync(onnxPath).size === 0) {
    const { config, weights } = loadNsfwjsModel(model);
    const { bytes } = convertKerasToOnnx(config, weights, {
      graphName: model,
      producer: `continuum-app-image-classification ${CONVERTER_VERSION}`,
    });
    // Write to a temporary name and rename, so a concurrent reader never sees half a model.
    const tmp = `${onnxPath}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, onnxPath);
    converted = true;
  }
  if (!existsSync(labelsPath)) writeFileSync(labelsPath, `${NSFW_LABELS.join('\n')}\n`);
  return {
    name: model,
    onnxPath,
    labelsPath,
    inputSize: BUILTIN_INPUT[model],
    layout: 'nhwc',
    mean: [0, 0, 0],
    std: [1, 1, 1],
    hash,
    converted,
    convertMs: performance.now() - started,
  };
}

/** Resolves the `model` option: a built-in name (converted and cached) or a user ONNX file + labels. */
export function resolveModel(
  option: ModelOption | undefined,
  baseDir: string,
  cacheDir?: string,
): ResolvedModel {
  const chosen = option ?? 'mobilenet-v2';
  if (typeof chosen === 'string') {
    const built = ensureBuiltinModel(chosen, cacheDir);
    return {
      name: built.name,
      onnxPath: built.onnxPath,
      labelsPath: built.labelsPath,
      inputSize: built.inputSize,
      layout: built.layout,
      mean: built.mean,
      std: built.std,
      hash: built.hash,
    };
  }
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const onnxPath = at(chosen.onnx);
  const labelsPath = at(chosen.labels);
  for (const [key, file] of [
    ['onnx', onnxPath],
    ['labels', labelsPath],
  ] as const) {
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new ContinuumError(
        'APP_MODEL_NOT_FOUND',
        `application.options.model.${key}: file ${file} does not exist.`,
        {
          hint: `Fix the path in the config (relative paths are resolved against ${baseDir}), or use model: mobilenet-v2.`,
          details: { path: `application.options.model.${key}`, file },
        },
      );
    }
  }
  const hash = createHash('sha256').update(readFileSync(onnxPath)).digest('hex').slice(0, 16);
  return {
    name: chosen.onnx,
    onnxPath,
    labelsPath,
    inputSize: chosen.inputSize ?? 224,
    layout: chosen.layout ?? 'nchw',
    mean: chosen.mean ?? [0, 0, 0],
    std: chosen.std ?? [1, 1, 1],
    hash,
  };
}
