import { join } from 'node:path';
import { z } from 'zod';
import { ContinuumError, defineResourceManager } from '@continuum/plugin-api';
import {
  PINNED,
  ansibleDiagnostics,
  clusterRunner,
  controllerOf,
  countsOf,
  effectiveKubeVersion,
  inventoryHost,
  installCluster,
  kubeBaseShape,
  kubeedgeDiagnostics,
  kubernetesPlan,
  renderClusterArtifacts,
  syntaxCheck,
  teardownCluster,
  type KubeState,
  type PodExtras,
} from '@continuum/rm-kubernetes';
import { renderKubeEdgeArtifacts } from './render.js';

export { keadmRelease, kubeedgeBundleExtras, renderKubeEdgeArtifacts, KUBEEDGE_TEMPLATES } from './render.js';

export const kubeedgeOptionsSchema = z
  .object({
    ...kubeBaseShape,
    /** keadm / KubeEdge release (a current release; upstream's 1.8.1 with Kubernetes 1.21 no longer installs). */
    kubeedgeVersion: z
      .string()
      .regex(/^v1\.\d+\.\d+$/, 'a KubeEdge release such as v1.20.0')
      .default(PINNED.keadm.version),
  })
  .strict();
export type KubeEdgeOptions = z.output<typeof kubeedgeOptionsSchema>;

/** Edge pods: no CNI on edges (host network), tolerate the edge role, pinned by node label. */
export const EDGE_POD: PodExtras = {
  hostNetwork: true,
  tolerations: [{ key: 'node-role.kubernetes.io/edge', operator: 'Exists', effect: 'NoSchedule' }],
};

export default defineResourceManager<KubeEdgeOptions, KubeState>({
  name: 'kubeedge',
  description:
    'KubeEdge: kubeadm control plane + cloudcore on the controller, edgecore on edge nodes (keadm); workloads pinned to edges',
  usesController: true,
  configSchema: kubeedgeOptionsSchema,
  jsonSchema: () => z.toJSONSchema(kubeedgeOptionsSchema, { io: 'input' }),
  validate: (ctx) =>
    Promise.resolve([...kubeedgeDiagnostics(countsOf(ctx.topology)), ...ansibleDiagnostics()]),
  plan: (ctx) =>
    Promise.resolve(
      kubernetesPlan(ctx.topology, ctx.config, 'kubeedge').map((p) =>
        p.resource === 'kubeedge-worker'
          ? { ...p, resource: 'kubeedge-edgecore', details: { kubeedge: ctx.config.kubeedgeVersion } }
          : p,
      ),
    ),
  install: (ctx) => {
    const controller = controllerOf(ctx);
    const edges = ctx.nodes.filter((n) => n.role === 'edge');
    const mosquitto =
      ctx.config.nodeLocalBroker === 'auto'
        ? ctx.outputs.services['mqtt'] === undefined
        : ctx.config.nodeLocalBroker;
    return installCluster(
      ctx,
      {
        controller,
        kubeadmWorkers: [],
        readyNodes: [controller, ...edges],
        endpoints: ctx.nodes.filter((n) => n.role === 'endpoint'),
        // Flannel keeps the controller Ready; the cloudcore playbook keeps it off the edges.
        applyCni: true,
        afterControlPlane: async (artifacts, run) => {
          const outDir = join(ctx.workDir, 'ansible');
          const rendered = await renderKubeEdgeArtifacts({
            kube: effectiveKubeVersion(ctx.config),
            controller,
            outDir,
            offlineDir: ctx.config.offlineBundle,
            mosquitto,
            keadmVersion: ctx.config.kubeedgeVersion,
          });
          // Inventory with the edges group for the edge playbook.
          const withEdges = await renderClusterArtifacts({
            runId: ctx.run.id,
            kube: effectiveKubeVersion(ctx.config),
            controller,
            workers: [],
            extraGroups: [{ name: 'edges', hosts: edges.map(inventoryHost) }],
            outDir: join(outDir, 'edge-inventory'),
            offline:
              ctx.config.offlineBundle === undefined ? undefined : { localDir: ctx.config.offlineBundle },
            mosquitto,
            applyCni: true,
          });
          for (const p of [rendered.cloudcore, rendered.edges]) {
            const check = await syntaxCheck(p, withEdges.inventory);
            if (!check.ok)
              throw new ContinuumError(
                'ANSIBLE_SYNTAX',
                `Rendered playbook ${p} fails ansible-playbook --syntax-check: ${check.output.slice(0, 1000)}`,
              );
          }
          void artifacts;
          await Promise.all([run(rendered.cloudcore), run(rendered.edges, withEdges.inventory)]);
        },
      },
      'kubeedge',
    );
  },
  runner: (ctx, cluster) => clusterRunner(ctx, cluster, 'kubeedge', EDGE_POD),
  teardown: (ctx) => teardownCluster(ctx),
});
