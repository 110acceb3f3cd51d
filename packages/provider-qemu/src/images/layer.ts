import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';
import { tryRun } from '../exec.js';
import type { CachedImage, ImageManifest } from './cache.js';
import { findImage, imagePaths, imagesDir } from './cache.js';
import type { LayerRecipe } from './recipe.js';
import { LAYER_SCRIPT, layerKey } from './recipe.js';

/**
 * A resource manager's image: parent + packages + script, cached under a key that changes with
 * any of them (upstream reused stale base images forever). The disk is a qcow2 whose backing
 * file is the parent's disk, so the parent must stay (`images rm` refuses to remove it).
 */
export async function buildLayer(
  parent: CachedImage,
  layer: LayerRecipe,
  options: { root?: string; log?: Logger; force?: boolean } = {},
): Promise<{ image: CachedImage; cached: boolean; seconds: number }> {
  const root = options.root ?? imagesDir();
  const key = layerKey(parent.key, layer);
  const existing = findImage(key, root);
  if (existing !== undefined && options.force !== true) return { image: existing, cached: true, seconds: 0 };
  const tmp = join(root, `.build-${key}-${process.pid}`);
  const work = join('/var/tmp', `continuum-layer-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  mkdirSync(work, { recursive: true });
  const started = Date.now();
  try {
    const scriptFile = join(work, 'layer-script.sh');
    writeFileSync(scriptFile, layer.script);
    options.log?.progress(`layer ${key}: installing ${layer.packages.join(' ') || 'script only'}`);
    const res = await tryRun('nice', [
      '-n',
      '10',
      'bash',
      LAYER_SCRIPT,
      parent.disk,
      imagePaths(tmp).disk,
      work,
      layer.packages.join(','),
      scriptFile,
    ]);
    if (res.exitCode !== 0) {
      throw new ContinuumError(
        'QEMU_LAYER_BUILD_FAILED',
        `Building layer ${key} on ${parent.key} failed: ${res.stderr.trim().split('\n').slice(-10).join('\n')}`,
        {
          hint: 'The layer needs root, a loop device, /dev/fuse (qemu-storage-daemon export) and the distribution mirror',
        },
      );
    }
    if (parent.kernel) copyFileSync(parent.kernel, imagePaths(tmp).kernel);
    if (parent.initrd) copyFileSync(parent.initrd, imagePaths(tmp).initrd);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const manifest: ImageManifest = {
      key,
      kind: 'layer',
      parent: parent.key,
      builtAt: new Date().toISOString(),
      buildSeconds: seconds,
      recipe: layer,
    };
    writeFileSync(imagePaths(tmp).manifest, JSON.stringify(manifest, null, 2));
    rmSync(join(root, key), { recursive: true, force: true });
    renameSync(tmp, join(root, key));
    const image = findImage(key, root);
    if (image === undefined)
      throw new ContinuumError('QEMU_LAYER_BUILD_FAILED', `Layer ${key} is incomplete`);
    return { image, cached: false, seconds };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
