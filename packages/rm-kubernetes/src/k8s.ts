import { ContinuumError } from '@continuum/plugin-api';
import type { AppsV1Api, BatchV1Api, CoreV1Api, EventsV1Api, KubeConfig } from '@kubernetes/client-node';

export interface KubeClient {
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  apps: AppsV1Api;
  events: EventsV1Api;
  server: string;
}

/**
 * A client for the fetched admin kubeconfig. @kubernetes/client-node is imported lazily: it is
 * large, and only runs that use a Kubernetes-based resource manager need it.
 */
export async function connect(
  kubeconfigPath: string,
  options: { server?: string } = {},
): Promise<KubeClient> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (error) {
    throw new ContinuumError(
      'K8S_KUBECONFIG',
      `Cannot read kubeconfig ${kubeconfigPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (options.server !== undefined) {
    const cluster = kc.getCurrentCluster();
    if (cluster !== null) {
      kc.clusters = kc.clusters.map((c) =>
        c.name === cluster.name ? { ...c, server: options.server as string } : c,
      );
    }
  }
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    events: kc.makeApiClient(k8s.EventsV1Api),
    server: kc.getCurrentCluster()?.server ?? '?',
  };
}

/** HTTP status of a client-node ApiException (or undefined). */
export function httpStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
