import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger, Node } from '@continuum/plugin-api';
import { docker, type DockerEndpoint } from './docker-cli.js';
import {
  buildRuntimeTarball,
  importChanges,
  planRuntimeImage,
  type RuntimeImagePlan,
} from './runtime-image.js';

/** Every `node_modules` directory above this package: where the app's native addons are installed. */
export function installationNodeModules(from: string = dirname(fileURLToPath(import.meta.url))): string[] {
  const out: string[] = [];
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) out.push(candidate);
    if (dirname(dir) === dir) break;
  }
  return out;
}

export async function hasImage(node: Node, endpoint: DockerEndpoint, tag: string): Promise<boolean> {
  const r = await docker(node, endpoint, ['image', 'inspect', '--format', '{{.Id}}', tag], { check: false });
  return r.exitCode === 0;
}

/**
 * Builds the runtime image's rootfs once on the host and imports it on each node that lacks it:
 * the tarball is copied over the node's own channel (ssh for VMs, nothing for host nodes) and
 * `docker import`ed there, so guests need neither internet nor a registry.
 */
export function createRuntimeImageDelivery(options: {
  cacheDir: string;
  endpoint: DockerEndpoint;
  log: Logger;
  nativeDirs?: readonly string[];
}) {
  let plan: Promise<RuntimeImagePlan> | undefined;
  let tarball: Promise<string> | undefined;
  const perNode = new Map<string, Promise<string>>();
  const getPlan = (): Promise<RuntimeImagePlan> =>
    (plan ??= planRuntimeImage({ nativeDirs: options.nativeDirs ?? installationNodeModules() }));
  const ensure = (node: Node): Promise<string> => {
    let pending = perNode.get(node.name);
    if (pending === undefined) {
      pending = (async () => {
        const p = await getPlan();
        if (await hasImage(node, options.endpoint, p.tag)) return p.tag;
        const started = Date.now();
        const file = await (tarball ??= buildRuntimeTarball(p, options.cacheDir));
        const remote = node.sharesHostFilesystem ? file : `/tmp/${p.tag.replace(/[^a-zA-Z0-9.-]/g, '_')}.tar`;
        if (!node.sharesHostFilesystem) await node.copy(file, remote);
        await docker(node, options.endpoint, ['import', ...importChanges(p), remote, p.tag], {
          timeoutMs: 300_000,
        });
        if (!node.sharesHostFilesystem) await node.exec(['rm', '-f', remote], { check: false });
        options.log.debug(`runtime image ${p.tag} imported on ${node.name} in ${Date.now() - started} ms`);
        return p.tag;
      })();
      perNode.set(node.name, pending);
      pending.catch(() => perNode.delete(node.name));
    }
    return pending;
  };
  return { ensure, plan: getPlan };
}
