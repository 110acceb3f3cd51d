import { dirname } from 'node:path';
import { ContinuumError, type Logger, type Node } from '@continuum/plugin-api';
import { buildRuntimeTarball, installationNodeModules, planRuntimeImage } from '@continuum/rm-docker';
import { ociArchiveFromRootfs } from './oci.js';

/** Runs a privileged command as the node's user, falling back to `sudo -n` for non-root ssh users. */
export async function privileged(node: Node, argv: readonly string[], timeoutMs = 300_000): Promise<void> {
  const first = await node.exec(argv, { check: false, timeoutMs });
  if (first.exitCode === 0) return;
  const second = await node.exec(['sudo', '-n', ...argv], { check: false, timeoutMs });
  if (second.exitCode !== 0) {
    throw new ContinuumError(
      'NODE_COMMAND_FAILED',
      `${argv.join(' ')} failed on ${node.name}: ${(second.stderr || first.stderr).trim().slice(0, 800)}`,
    );
  }
}

/**
 * The runtime image (host node binary + libraries, see rm-docker) as an OCI archive imported into
 * containerd's `k8s.io` namespace on each node, so Jobs run it with imagePullPolicy Never.
 */
export function createContainerdImageDelivery(options: {
  cacheDir: string;
  log: Logger;
  nativeDirs?: readonly string[];
}) {
  let prepared: Promise<{ tag: string; archive: string }> | undefined;
  const perNode = new Map<string, Promise<string>>();
  const prepare = (): Promise<{ tag: string; archive: string }> =>
    (prepared ??= (async () => {
      const plan = await planRuntimeImage({ nativeDirs: options.nativeDirs ?? installationNodeModules() });
      const rootfs = await buildRuntimeTarball(plan, options.cacheDir);
      const archive = await ociArchiveFromRootfs({
        rootfsTar: rootfs,
        reference: plan.tag,
        env: [`PATH=${dirname(plan.nodeBinary)}:/usr/local/bin:/usr/bin:/bin`],
        workingDir: '/tmp',
        outFile: rootfs.replace(/\.tar$/, '.oci.tar'),
      });
      return { tag: plan.tag, archive };
    })());
  const ensure = (node: Node): Promise<string> => {
    let pending = perNode.get(node.name);
    if (pending === undefined) {
      pending = (async () => {
        const { tag, archive } = await prepare();
        const remote = node.sharesHostFilesystem ? archive : `/tmp/continuum-runtime-image.oci.tar`;
        if (!node.sharesHostFilesystem) await node.copy(archive, remote);
        await privileged(node, ['ctr', '--namespace', 'k8s.io', 'images', 'import', remote]);
        if (!node.sharesHostFilesystem) await node.exec(['rm', '-f', remote], { check: false });
        options.log.debug(`runtime image ${tag} imported into containerd on ${node.name}`);
        return tag;
      })();
      perNode.set(node.name, pending);
      pending.catch(() => perNode.delete(node.name));
    }
    return pending;
  };
  return { ensure, prepare };
}
