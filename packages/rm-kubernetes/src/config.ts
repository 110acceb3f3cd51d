import { z } from 'zod';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS, parseKubeVersion } from './versions.js';

const kubeVersion = z
  .string()
  .default(DEFAULT_KUBERNETES_VERSION)
  .refine(
    (v) => {
      try {
        parseKubeVersion(v);
        return true;
      } catch {
        return false;
      }
    },
    {
      message: `unknown Kubernetes version: use one of ${SUPPORTED_MINORS.map((m) => `v${m}`).join(', ')} (optionally with a patch, e.g. v1.31.4)`,
    },
  );

export const dockerSection = z
  .object({
    dockerHost: z.string().min(1).optional(),
    network: z.string().min(1).default('host'),
    installDocker: z.boolean().default(true),
  })
  .strict()
  .default({ network: 'host', installDocker: true });

/** Options shared by every Kubernetes-based resource manager (kubernetes, kubeedge, openfaas). */
export const kubeBaseShape = {
  /** A minor (`v1.31`) or a patch release (`v1.31.4`) from pkgs.k8s.io. */
  kubernetesVersion: kubeVersion,
  /** Run each worker once before measuring so images are cached (upstream `cache_worker`). */
  cacheWorker: z.boolean().default(false),
  /** Directory made by the fetch-bundle playbook: install without internet on the nodes. */
  offlineBundle: z.string().min(1).optional(),
  /** Node-local mosquitto on workers as upstream; `auto` = only when no mqtt service runs brokers. */
  nodeLocalBroker: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .default('default'),
  /** API server URL as the Continuum host reaches it (default https://<controller address>:6443). */
  apiServer: z.url().optional(),
  readyTimeoutSeconds: z.number().int().min(10).default(900),
  /** A workload whose pod has not started by then fails (a workload that never starts). */
  startTimeoutSeconds: z.number().int().min(5).default(600),
  /** Expose API-proxied metrics endpoints for monitors in the cluster output. */
  observability: z.boolean().default(false),
  /** `kubeadm reset` on the nodes at teardown (for machines that outlive the run; VMs are simply deleted). */
  resetNodesOnTeardown: z.boolean().default(false),
  /** Endpoints run as Docker containers (upstream). */
  docker: dockerSection,
};

export const kubernetesOptionsSchema = z.object(kubeBaseShape).strict();
export type KubernetesOptions = z.output<typeof kubernetesOptionsSchema>;
