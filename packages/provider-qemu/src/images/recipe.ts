import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-image.sh', import.meta.url));
export const LAYER_SCRIPT = fileURLToPath(new URL('../../scripts/build-layer.sh', import.meta.url));

/** What goes into the base image. Any change here (or in the build script) gives a new cache key. */
export interface BaseRecipe {
  name: string;
  suite: string;
  mirror: string;
  /** debootstrap --include list. debootstrap does not resolve virtual packages, so dbus and python3-cffi-backend are explicit. */
  packages: string[];
  diskGiB: number;
}

export const DEFAULT_RECIPE: BaseRecipe = {
  name: 'debian-bookworm',
  suite: 'bookworm',
  mirror: 'http://deb.debian.org/debian',
  packages: [
    'systemd-sysv',
    'dbus',
    'openssh-server',
    'iproute2',
    'iputils-ping',
    'python3',
    'linux-image-amd64',
    'initramfs-tools',
    'netbase',
    'ca-certificates',
    'kmod',
    'procps',
    'mosquitto',
    'mosquitto-clients',
    'nodejs',
    'cloud-init',
    'python3-cffi-backend',
  ],
  diskGiB: 4,
};

/** A software layer on top of a parent image (a resource manager's packages), installed by booting the parent. */
export interface LayerRecipe {
  name: string;
  /** apt packages installed in the guest (from the distribution mirror the guest reaches through the host). */
  packages: string[];
  /** Shell script run as root in the guest after the packages; its text is part of the key. */
  script: string;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Cache key of the base image: the recipe plus the build script's content (its "version"). */
export function baseKey(recipe: BaseRecipe, scriptText = readFileSync(BUILD_SCRIPT, 'utf8')): string {
  const canon = JSON.stringify({ ...recipe, packages: [...recipe.packages].sort() });
  return `${recipe.name}-${sha(`${canon}\n${scriptText}`)}`;
}

/**
 * Cache key of a layer: parent key + the layer's packages + script. Upstream keyed base images by
 * name only, so a software change silently reused the stale image; here it rebuilds.
 */
export function layerKey(
  parentKey: string,
  layer: LayerRecipe,
  scriptText = readFileSync(LAYER_SCRIPT, 'utf8'),
): string {
  const canon = JSON.stringify({
    builder: sha(scriptText),
    parent: parentKey,
    name: layer.name,
    packages: [...layer.packages].sort(),
    script: layer.script,
  });
  return `${layer.name}-${sha(canon)}`;
}
