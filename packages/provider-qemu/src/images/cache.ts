import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ContinuumError } from '@continuum/plugin-api';

/** Images live outside any repository: $XDG_CACHE_HOME/continuum/images (default ~/.cache/continuum/images). */
export function imagesDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env['XDG_CACHE_HOME'] !== undefined && env['XDG_CACHE_HOME'] !== ''
      ? env['XDG_CACHE_HOME']
      : join(homedir(), '.cache');
  return join(base, 'continuum', 'images');
}

export interface ImageManifest {
  key: string;
  kind: 'base' | 'layer';
  parent?: string;
  builtAt: string;
  buildSeconds: number;
  recipe: unknown;
}

export interface CachedImage {
  key: string;
  dir: string;
  disk: string;
  kernel: string | undefined;
  initrd: string | undefined;
  manifest: ImageManifest;
  sizeBytes: number;
}

export function imagePaths(dir: string): { disk: string; kernel: string; initrd: string; manifest: string } {
  return {
    disk: join(dir, 'base.qcow2'),
    kernel: join(dir, 'vmlinux'),
    initrd: join(dir, 'initrd.img'),
    manifest: join(dir, 'manifest.json'),
  };
}

/** A complete image (manifest written last by the build, so its presence means "finished"). */
export function findImage(key: string, root = imagesDir()): CachedImage | undefined {
  const dir = join(root, key);
  const p = imagePaths(dir);
  if (!existsSync(p.manifest) || !existsSync(p.disk)) return undefined;
  const manifest = JSON.parse(readFileSync(p.manifest, 'utf8')) as ImageManifest;
  let size = 0;
  for (const f of readdirSync(dir)) size += statSync(join(dir, f)).size;
  return {
    key,
    dir,
    disk: p.disk,
    kernel: existsSync(p.kernel) ? p.kernel : undefined,
    initrd: existsSync(p.initrd) ? p.initrd : undefined,
    manifest,
    sizeBytes: size,
  };
}

export function listImages(root = imagesDir()): CachedImage[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => !d.startsWith('.'))
    .map((d) => findImage(d, root))
    .filter((i): i is CachedImage => i !== undefined)
    .sort((a, b) => a.manifest.builtAt.localeCompare(b.manifest.builtAt));
}

/** Removes an image; refuses when a layer still uses it as its backing file. */
export function removeImage(key: string, root = imagesDir()): void {
  const image = findImage(key, root);
  if (image === undefined) {
    throw new ContinuumError('QEMU_IMAGE_NOT_FOUND', `No cached image "${key}" in ${root}`, {
      hint: 'See `continuum images list`',
    });
  }
  const children = listImages(root).filter((i) => i.manifest.parent === key);
  if (children.length > 0) {
    throw new ContinuumError(
      'QEMU_IMAGE_IN_USE',
      `Image "${key}" is the parent of ${children.map((c) => c.key).join(', ')}`,
      {
        hint: 'Remove those layers first',
      },
    );
  }
  rmSync(image.dir, { recursive: true, force: true });
}
