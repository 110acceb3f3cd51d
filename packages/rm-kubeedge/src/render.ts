import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeInfo } from '@continuum/plugin-api';
import {
  PINNED,
  REMOTE_BUNDLE_DIR,
  TEMPLATES_DIR,
  bundleArchives,
  createRenderer,
  type KubeVersion,
} from '@continuum/rm-kubernetes';

export const KUBEEDGE_TEMPLATES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'templates');

export function keadmRelease(version: string = PINNED.keadm.version): {
  version: string;
  url: string;
  archive: string;
  dir: string;
} {
  const dir = `keadm-${version}-linux-amd64`;
  return {
    version,
    url: `https://github.com/kubeedge/kubeedge/releases/download/${version}/${dir}.tar.gz`,
    archive: `${dir}.tar.gz`,
    dir,
  };
}

/** What an offline bundle needs on top of the Kubernetes ones (for the fetch-bundle playbook). */
export function kubeedgeBundleExtras(version: string = PINNED.keadm.version): {
  downloads: { url: string; dest: string }[];
  images: string[];
} {
  const k = keadmRelease(version);
  return {
    downloads: [{ url: k.url, dest: k.archive }],
    images: ['installation-package', 'cloudcore', 'iptables-manager', 'controller-manager'].map(
      (n) => `docker.io/kubeedge/${n}:${version}`,
    ),
  };
}

export interface KubeEdgeRenderInput {
  kube: KubeVersion;
  controller: NodeInfo;
  outDir: string;
  offlineDir: string | undefined;
  mosquitto: boolean;
  keadmVersion?: string;
  joinTimeoutSeconds?: number;
}

export async function renderKubeEdgeArtifacts(
  input: KubeEdgeRenderInput,
): Promise<{ cloudcore: string; edges: string; tokenFile: string }> {
  const render = await createRenderer([join(KUBEEDGE_TEMPLATES, 'ansible')]);
  const tokenFile = join(input.outDir, 'kubeedge-token.txt');
  const context = {
    keadm: keadmRelease(input.keadmVersion),
    offline: input.offlineDir !== undefined,
    bundleLocalDir: input.offlineDir ?? '',
    bundleRemoteDir: REMOTE_BUNDLE_DIR,
    ...bundleArchives(input.kube),
    templatesDir: join(TEMPLATES_DIR, 'files'),
    pauseImage: input.kube.pauseImage,
    mosquitto: input.mosquitto,
    tokenFile,
    cloudAddress: input.controller.address,
    joinTimeoutSeconds: input.joinTimeoutSeconds ?? 1800,
  };
  const cloudcore = join(input.outDir, 'cloudcore_install.yml');
  const edges = join(input.outDir, 'edge_install.yml');
  writeFileSync(cloudcore, render('cloudcore_install.yml.njk', context));
  writeFileSync(edges, render('edge_install.yml.njk', context));
  return { cloudcore, edges, tokenFile };
}
