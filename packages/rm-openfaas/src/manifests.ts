import type { ComponentSpec } from '@continuum/plugin-api';
import { PINNED, RUN_LABEL, COMPONENT_LABEL, cpuQuantity, dnsLabel } from '@continuum/rm-kubernetes';

/**
 * OpenFaaS CE without arkade or helm: the gateway with faas-netes as its provider, as the official
 * chart deploys it (sync invocations only: no NATS/queue-worker, no Prometheus autoscaling), as
 * plain objects validated against the Kubernetes schemas and applied with kubectl.
 */
export const OPENFAAS_NAMESPACE = 'openfaas';
export const FUNCTION_NAMESPACE = 'openfaas-fn';
export const GATEWAY_NODE_PORT = 31112;

export interface GatewayOptions {
  runId: string;
  /** base64 of the admin password (a random one per run, never upstream's defaults). */
  passwordBase64: string;
  gatewayImage?: string;
  faasNetesImage?: string;
}

export function gatewayManifests(o: GatewayOptions): Record<string, unknown>[] {
  const labels = { app: 'gateway', [RUN_LABEL]: dnsLabel(o.runId) };
  const ns = (name: string): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        role: name === OPENFAAS_NAMESPACE ? 'openfaas-system' : 'openfaas-fn',
        [RUN_LABEL]: dnsLabel(o.runId),
      },
    },
  });
  const authEnv = [
    { name: 'basic_auth', value: 'true' },
    { name: 'secret_mount_path', value: '/var/secrets' },
  ];
  const timeouts = [
    { name: 'read_timeout', value: '65s' },
    { name: 'write_timeout', value: '65s' },
    { name: 'upstream_timeout', value: '60s' },
  ];
  return [
    ns(OPENFAAS_NAMESPACE),
    ns(FUNCTION_NAMESPACE),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'basic-auth', namespace: OPENFAAS_NAMESPACE },
      type: 'Opaque',
      data: { 'basic-auth-user': 'YWRtaW4=', 'basic-auth-password': o.passwordBase64 },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'openfaas-controller', namespace: OPENFAAS_NAMESPACE },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'openfaas-controller', namespace: FUNCTION_NAMESPACE },
      rules: [
        {
          apiGroups: [''],
          resources: ['services', 'secrets', 'configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        {
          apiGroups: ['apps', 'extensions'],
          resources: ['deployments'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        {
          apiGroups: [''],
          resources: ['pods', 'pods/log', 'namespaces', 'endpoints', 'events'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'openfaas-controller', namespace: FUNCTION_NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'openfaas-controller' },
      subjects: [{ kind: 'ServiceAccount', name: 'openfaas-controller', namespace: OPENFAAS_NAMESPACE }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gateway', namespace: OPENFAAS_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'gateway' } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'openfaas-controller',
            volumes: [{ name: 'auth', secret: { secretName: 'basic-auth' } }],
            containers: [
              {
                name: 'gateway',
                image: o.gatewayImage ?? PINNED.openfaas.gateway,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                env: [
                  ...timeouts,
                  ...authEnv,
                  { name: 'functions_provider_url', value: 'http://127.0.0.1:8081/' },
                  { name: 'direct_functions', value: 'false' },
                  { name: 'function_namespace', value: FUNCTION_NAMESPACE },
                  { name: 'scale_from_zero', value: 'false' },
                  { name: 'max_idle_conns', value: '1024' },
                  { name: 'max_idle_conns_per_host', value: '1024' },
                ],
                volumeMounts: [{ name: 'auth', mountPath: '/var/secrets', readOnly: true }],
                readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
                resources: { requests: { cpu: '50m', memory: '120Mi' } },
              },
              {
                name: 'faas-netes',
                image: o.faasNetesImage ?? PINNED.openfaas.faasNetes,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'provider', containerPort: 8081, protocol: 'TCP' }],
                env: [
                  { name: 'port', value: '8081' },
                  { name: 'function_namespace', value: FUNCTION_NAMESPACE },
                  { name: 'profiles_namespace', value: OPENFAAS_NAMESPACE },
                  ...timeouts,
                  ...authEnv,
                  { name: 'image_pull_policy', value: 'IfNotPresent' },
                  { name: 'http_probe', value: 'true' },
                  { name: 'set_nonroot_user', value: 'false' },
                  { name: 'readiness_probe_initial_delay_seconds', value: '2' },
                  { name: 'readiness_probe_timeout_seconds', value: '1' },
                  { name: 'readiness_probe_period_seconds', value: '2' },
                  { name: 'liveness_probe_initial_delay_seconds', value: '2' },
                  { name: 'liveness_probe_timeout_seconds', value: '1' },
                  { name: 'liveness_probe_period_seconds', value: '2' },
                  { name: 'cluster_role', value: 'false' },
                ],
                volumeMounts: [{ name: 'auth', mountPath: '/var/secrets', readOnly: true }],
                resources: { requests: { cpu: '50m', memory: '120Mi' } },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gateway', namespace: OPENFAAS_NAMESPACE, labels: { app: 'gateway' } },
      spec: {
        type: 'ClusterIP',
        selector: { app: 'gateway' },
        ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gateway-external', namespace: OPENFAAS_NAMESPACE, labels: { app: 'gateway' } },
      spec: {
        type: 'NodePort',
        selector: { app: 'gateway' },
        ports: [{ name: 'http', port: 8080, targetPort: 8080, nodePort: GATEWAY_NODE_PORT, protocol: 'TCP' }],
      },
    },
  ];
}

export interface FunctionOptions {
  runId: string;
  /** Function name as invoked: /function/<name> (upstream: the first word of the app name, `image`). */
  functionName: string;
  image: string;
  imagePullPolicy: 'Never' | 'IfNotPresent';
  hostPaths: readonly string[];
  nodeSelector: Record<string, string>;
  /** Upstream: com.openfaas.scale.min 1 / max 5. */
  scaleMin?: number;
  scaleMax?: number;
}

/**
 * A function as faas-netes itself creates one (Deployment + Service labelled `faas_function`, port
 * 8080, health on /_/health), written directly so the component's files can be mounted from the
 * node (the gateway API has no volumes). The gateway finds and routes to it like any function.
 */
export function functionManifests(spec: ComponentSpec, o: FunctionOptions): Record<string, unknown>[] {
  const name = dnsLabel(o.functionName);
  const labels = {
    faas_function: name,
    [RUN_LABEL]: dnsLabel(o.runId),
    [COMPONENT_LABEL]: dnsLabel(spec.name),
  };
  const requests: Record<string, string> = {};
  // Upstream: memory min(1000, worker_mem) Mi, cpu min(1, worker_cpu).
  if (spec.cpu !== undefined) requests['cpu'] = cpuQuantity(Math.min(1, spec.cpu));
  if (spec.memoryMiB !== undefined)
    requests['memory'] = `${Math.max(1, Math.min(1000, Math.round(spec.memoryMiB)))}Mi`;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: FUNCTION_NAMESPACE,
        labels: {
          ...labels,
          'com.openfaas.scale.min': String(o.scaleMin ?? 1),
          'com.openfaas.scale.max': String(o.scaleMax ?? 5),
        },
        annotations: { 'prometheus.io.scrape': 'false' },
      },
      spec: {
        replicas: o.scaleMin ?? 1,
        selector: { matchLabels: { faas_function: name } },
        template: {
          metadata: { labels, annotations: { 'prometheus.io.scrape': 'false' } },
          spec: {
            nodeSelector: o.nodeSelector,
            containers: [
              {
                name,
                image: spec.image ?? o.image,
                imagePullPolicy: o.imagePullPolicy,
                command: spec.command,
                env: Object.entries({ ...spec.env }).map(([k, v]) => ({ name: k, value: v })),
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                readinessProbe: {
                  httpGet: { path: '/_/health', port: 8080 },
                  periodSeconds: 2,
                  timeoutSeconds: 1,
                },
                resources: { requests },
                volumeMounts: o.hostPaths.map((p, i) => ({
                  name: `files-${i}`,
                  mountPath: p,
                  readOnly: true,
                })),
              },
            ],
            volumes: o.hostPaths.map((p, i) => ({ name: `files-${i}`, hostPath: { path: p } })),
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: FUNCTION_NAMESPACE, labels },
      spec: {
        type: 'ClusterIP',
        selector: { faas_function: name },
        ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }],
      },
    },
  ];
}
