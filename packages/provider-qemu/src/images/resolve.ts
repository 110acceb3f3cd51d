import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { ContinuumError } from '@continuum/plugin-api';
import type { QemuOptions } from '../config.js';
import { findImage, imagesDir } from './cache.js';
import { DEFAULT_RECIPE, baseKey } from './recipe.js';

export interface ResolvedImage {
  disk: string;
  format: 'qcow2' | 'raw';
  kernel: string | undefined;
  initrd: string | undefined;
  /** Kernel root= for direct boot. */
  root: string;
  description: string;
  /** Directory of the image files (external hosts hold a copy at the same or a configured path). */
  dir: string;
}

/** Finds the disk (and direct-boot kernel) to clone; a clear error names what is missing and how to get it. */
export function resolveImage(o: Pick<QemuOptions, 'image'>, root = imagesDir()): ResolvedImage {
  if (o.image === 'built') {
    const key = baseKey(DEFAULT_RECIPE);
    const image = findImage(key, root);
    if (image === undefined) {
      throw new ContinuumError(
        'QEMU_IMAGE_MISSING',
        `The guest base image ${key} is not built (looked in ${root})`,
        {
          hint: 'Run `continuum images build` once (about 3-5 minutes, needs only the Debian mirror), or set options.image.file to a cloud image',
        },
      );
    }
    return {
      disk: image.disk,
      format: 'qcow2',
      kernel: image.kernel,
      initrd: image.initrd,
      root: '/dev/vda',
      description: `built:${key}`,
      dir: image.dir,
    };
  }
  const { file, kernel, initrd } = o.image;
  for (const [what, path] of [
    ['options.image.file', file],
    ['options.image.kernel', kernel],
    ['options.image.initrd', initrd],
  ] as const) {
    if (path !== undefined && !existsSync(path)) {
      throw new ContinuumError('QEMU_IMAGE_MISSING', `${what} ${path} does not exist`, {
        hint: 'Fix the path in the qemu provider options',
      });
    }
  }
  return {
    disk: file,
    format: isQcow2(file) ? 'qcow2' : 'raw',
    kernel,
    initrd,
    root: o.image.root,
    description: `file:${file}`,
    dir: dirname(file),
  };
}

/** qcow2 files start with the magic "QFI\xfb"; anything else is treated as raw. */
export function isQcow2(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    readSync(fd, buf, 0, 4, 0);
    return buf.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
  } finally {
    closeSync(fd);
  }
}
