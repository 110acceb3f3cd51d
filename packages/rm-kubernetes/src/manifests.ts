import { ContinuumError, type ComponentSpec } from '@continuum/plugin-api';

/** Labels every object Continuum creates carries, so `down`/`clean` find exactly them. */
export const RUN_LABEL = 'continuum.io/run';
export const COMPONENT_LABEL = 'continuum.io/component';
export const NODE_LABEL = 'continuum.io/node';
export const TIER_LABEL = 'continuum.io/tier';

/** DNS-1123 label (≤ 63 chars) for object names. */
export function dnsLabel(text: string, max = 63): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+/, '');
  return s.slice(0, max).replace(/-+$/, '') || 'x';
}

/** CPU as a Kubernetes quantity in millicores (0.5 → 500m); never truncated to 0. */
export function cpuQuantity(cores: number): string {
  return `${Math.max(1, Math.round(cores * 1000))}m`;
}

export interface JobOptions {
  runId: string;
  namespace: string;
  /** The image when the spec names none (the runtime image imported into containerd). */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Paths on the node to mount (hostPath) at the same place: the component's files. */
  hostPaths: readonly string[];
  /** Pin to a Continuum node by its label (upstream pins workers to tiers). */
  nodeSelector: Record<string, string>;
  tolerations?: object[];
  /** KubeEdge edges run without a CNI: their pods use the node's network. */
  hostNetwork?: boolean;
  name?: string;
}

/** Pod-level extras a resource manager adds to every Job (kubeedge: tolerations, host network). */
export interface PodExtras {
  tolerations?: object[];
  hostNetwork?: boolean;
}

/**
 * A worker Job as upstream's launch_benchmark_kubernetes.yml wrote it: restartPolicy Never, the
 * component's cpu/memory as requests, env plus MQTT_LOCAL_IP = status.hostIP (upstream's node-local
 * broker), one pod, no retries.
 */
export function jobManifest(spec: ComponentSpec, options: JobOptions): Record<string, unknown> {
  const name = options.name ?? dnsLabel(`${spec.name}-${options.runId.split('-').at(-1) ?? ''}`);
  const labels = {
    [RUN_LABEL]: dnsLabel(options.runId),
    [COMPONENT_LABEL]: dnsLabel(spec.name),
    ...spec.labels,
  };
  const env: object[] = Object.entries(spec.env ?? {}).map(([k, v]) => ({ name: k, value: v }));
  if (spec.env?.['MQTT_LOCAL_IP'] === undefined)
    env.push({ name: 'MQTT_LOCAL_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } });
  const requests: Record<string, string> = {};
  if (spec.cpu !== undefined) requests['cpu'] = cpuQuantity(spec.cpu);
  if (spec.memoryMiB !== undefined) requests['memory'] = `${Math.max(1, Math.round(spec.memoryMiB))}Mi`;
  const volumes = options.hostPaths.map((p, i) => ({ name: `files-${i}`, hostPath: { path: p } }));
  const mounts = options.hostPaths.map((p, i) => ({ name: `files-${i}`, mountPath: p, readOnly: true }));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: options.namespace, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          nodeSelector: options.nodeSelector,
          ...(options.tolerations !== undefined ? { tolerations: options.tolerations } : {}),
          ...(options.hostNetwork === true
            ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }
            : {}),
          containers: [
            {
              name: 'component',
              image: spec.image ?? options.image,
              imagePullPolicy: options.imagePullPolicy,
              command: spec.command,
              env,
              ports: [{ containerPort: 1883 }],
              resources: { requests },
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}

/** Where a kubernetes-models class lives for an apiVersion (`batch/v1` → `kubernetes-models/batch/v1`). */
function modelModule(apiVersion: string): string {
  return apiVersion.includes('/') ? `kubernetes-models/${apiVersion}` : `kubernetes-models/${apiVersion}`;
}

/**
 * Validates manifests against the Kubernetes OpenAPI schemas (kubernetes-models). Objects of
 * kinds without a published schema there (CRDs such as OpenFaaS Functions) are reported, not passed.
 */
export async function validateManifests(
  objects: readonly Record<string, unknown>[],
): Promise<{ validated: number; unknownKinds: string[] }> {
  let validated = 0;
  const unknownKinds: string[] = [];
  for (const obj of objects) {
    const apiVersion = typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '';
    const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
    let Model: (new (data: unknown) => { validate(): void }) | undefined;
    try {
      const mod = (await import(modelModule(apiVersion))) as Record<
        string,
        new (data: unknown) => { validate(): void }
      >;
      Model = mod[kind];
    } catch {
      Model = undefined;
    }
    if (Model === undefined) {
      unknownKinds.push(`${apiVersion}/${kind}`);
      continue;
    }
    try {
      new Model(obj).validate();
      validated++;
    } catch (error) {
      const meta = obj['metadata'] as { name?: string } | undefined;
      throw new ContinuumError(
        'K8S_MANIFEST_INVALID',
        `${kind} ${meta?.name ?? '?'} does not match the Kubernetes ${apiVersion} schema: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return { validated, unknownKinds };
}
