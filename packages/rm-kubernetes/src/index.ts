import { z } from 'zod';
import { defineResourceManager, type PlanItem, type Topology } from '@continuum/plugin-api';
import { clusterRunner, controllerOf, installCluster, teardownCluster, type KubeState } from './cluster.js';
import { kubernetesOptionsSchema, type KubernetesOptions } from './config.js';
import { ansibleDiagnostics, countsOf, kubernetesDiagnostics } from './rules.js';
import { parseKubeVersion } from './versions.js';

export * from './ansible.js';
export * from './cluster.js';
export * from './config.js';
export * from './deploy-bench.js';
export * from './deploy-run.js';
export * from './job-runner.js';
export * from './k8s.js';
export * from './manifests.js';
export * from './oci.js';
export * from './pod-status.js';
export * from './readiness.js';
export * from './render.js';
export * from './rules.js';
export * from './versions.js';
export { createContainerdImageDelivery, privileged } from './containerd-images.js';

export function kubernetesPlan(
  topology: Topology,
  options: KubernetesOptions,
  name = 'kubernetes',
): PlanItem[] {
  const v = parseKubeVersion(options.kubernetesVersion).version;
  return topology.nodes.map((n) =>
    n.role === 'cloud-controller'
      ? {
          resource: `${name}-control-plane`,
          name: n.name,
          details: { version: v, cni: 'flannel', offline: options.offlineBundle !== undefined },
        }
      : n.role === 'endpoint'
        ? { resource: 'docker', name: n.name }
        : { resource: `${name}-worker`, name: n.name, details: { version: v } },
  );
}

export default defineResourceManager<KubernetesOptions, KubeState>({
  name: 'kubernetes',
  description:
    'Kubernetes (kubeadm, containerd, Flannel) installed with Ansible; workers run as Jobs, endpoints as Docker containers',
  usesController: true,
  configSchema: kubernetesOptionsSchema,
  jsonSchema: () => z.toJSONSchema(kubernetesOptionsSchema, { io: 'input' }),
  validate: (ctx) =>
    Promise.resolve([...kubernetesDiagnostics(countsOf(ctx.topology)), ...ansibleDiagnostics()]),
  plan: (ctx) => Promise.resolve(kubernetesPlan(ctx.topology, ctx.config)),
  install: (ctx) => {
    const controller = controllerOf(ctx);
    const workers = ctx.nodes.filter((n) => n.role === 'cloud');
    return installCluster(
      ctx,
      {
        controller,
        kubeadmWorkers: workers,
        readyNodes: [controller, ...workers],
        endpoints: ctx.nodes.filter((n) => n.role === 'endpoint'),
        applyCni: true,
      },
      'kubernetes',
    );
  },
  runner: (ctx, cluster) => clusterRunner(ctx, cluster, 'kubernetes'),
  teardown: (ctx) => teardownCluster(ctx),
});
