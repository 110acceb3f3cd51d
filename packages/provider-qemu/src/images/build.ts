import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';
import type { BaseRecipe } from './recipe.js';
import { BUILD_SCRIPT, DEFAULT_RECIPE, baseKey } from './recipe.js';
import type { CachedImage, ImageManifest } from './cache.js';
import { findImage, imagePaths, imagesDir } from './cache.js';

export interface BuildOptions {
  recipe?: BaseRecipe;
  root?: string;
  /** Rebuild even when the key is cached. */
  force?: boolean;
  log?: Logger;
  signal?: AbortSignal;
  /** Scratch space for the rootfs (~1 GB); default /var/tmp. */
  workRoot?: string;
  /** Run the build under `nice` (the machine is shared). */
  niceness?: number;
}

export interface BuildResult {
  image: CachedImage;
  cached: boolean;
  seconds: number;
  steps: Record<string, number>;
}

/**
 * Builds (or finds) the base image: debootstrap from the distribution mirror only, kernel + initrd
 * for direct boot, qcow2 disk. Written to a temporary directory and renamed into the cache when
 * complete, so an interrupted build never looks cached.
 */
export async function buildBaseImage(options: BuildOptions = {}): Promise<BuildResult> {
  const recipe = options.recipe ?? DEFAULT_RECIPE;
  const root = options.root ?? imagesDir();
  const key = baseKey(recipe);
  const existing = findImage(key, root);
  if (existing !== undefined && options.force !== true)
    return { image: existing, cached: true, seconds: 0, steps: {} };
  if (process.getuid?.() !== 0) {
    throw new ContinuumError(
      'QEMU_IMAGE_BUILD_NEEDS_ROOT',
      'Building a guest image needs root (debootstrap, chroot)',
      {
        hint: 'Run `sudo continuum images build`, or point options.image.file at a cloud image',
      },
    );
  }
  mkdirSync(root, { recursive: true });
  const tmpOut = join(root, `.build-${key}-${process.pid}`);
  const work = join(options.workRoot ?? '/var/tmp', `continuum-image-build-${process.pid}`);
  rmSync(tmpOut, { recursive: true, force: true });
  const started = Date.now();
  const steps: Record<string, number> = {};
  let last: { name: string; at: number } | undefined;
  try {
    const { execa } = await import('execa');
    const args = [
      BUILD_SCRIPT,
      tmpOut,
      work,
      recipe.suite,
      recipe.mirror,
      recipe.packages.join(','),
      String(recipe.diskGiB),
    ];
    const child = execa('nice', ['-n', String(options.niceness ?? 10), 'bash', ...args], {
      reject: false,
      all: true,
      stdin: 'ignore',
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    const output: string[] = [];
    child.all?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        output.push(line);
        const m = /^STEP (\S+) (\S+)/.exec(line);
        if (m) {
          const at = Number(m[1]) * 1000;
          if (last) steps[last.name] = Math.round((at - last.at) / 100) / 10;
          last = { name: m[2] ?? '?', at };
          options.log?.progress(`image ${key}: ${last.name}`);
        }
      }
    });
    const res = await child;
    if (res.exitCode !== 0) {
      throw new ContinuumError(
        'QEMU_IMAGE_BUILD_FAILED',
        `Building image ${key} failed (exit ${res.exitCode ?? res.signal})`,
        {
          hint:
            'Check that the Debian mirror is reachable; the last lines were:\n' +
            output.slice(-15).join('\n'),
        },
      );
    }
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const manifest: ImageManifest = {
      key,
      kind: 'base',
      builtAt: new Date().toISOString(),
      buildSeconds: seconds,
      recipe,
    };
    writeFileSync(imagePaths(tmpOut).manifest, JSON.stringify({ ...manifest, steps }, null, 2));
    const final = join(root, key);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmpOut, final);
    const image = findImage(key, root);
    if (image === undefined)
      throw new ContinuumError('QEMU_IMAGE_BUILD_FAILED', `Image ${key} is incomplete after the build`);
    return { image, cached: false, seconds, steps };
  } finally {
    rmSync(tmpOut, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** The guest's installed package versions (written by the build), e.g. to report the guest's nodejs. */
export function imagePackages(image: CachedImage): Map<string, string> {
  const file = join(image.dir, 'packages.txt');
  const map = new Map<string, string>();
  if (!existsSync(file)) return map;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, version] = line.split(' ');
    if (name && version) map.set(name, version);
  }
  return map;
}
