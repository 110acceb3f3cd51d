/**
 * Upstream Continuum's vocabulary: the names its .cfg files may use and the built-in values that
 * are not in plugin-api. Facts from shared/reference/continuum-upstream.md §2.
 */
import type { LinkClass } from '@continuum/plugin-api';

export const SECTION = { infra: 'infrastructure', bench: 'benchmark', exec: 'execution_model' } as const;

export const UPSTREAM_PROVIDERS = ['qemu', 'gcp', 'aws', 'baremetal'] as const;
export const UPSTREAM_RMS = ['kubernetes', 'kubeedge', 'kubecontrol', 'kube_kata', 'mist', 'none'] as const;
export const UPSTREAM_APPS = ['image_classification', 'empty', 'empty_kata', 'mem_usage', 'stress'] as const;
export const UPSTREAM_MODELS = ['openfaas'] as const;
export const KUBE_DEPLOYMENTS = ['pod', 'container', 'file', 'call'] as const;
export const KATA_RUNTIMES = ['runc', 'kata-qemu', 'kata-fc'] as const;
export const KATA_FILESYSTEMS = ['overlayfs', 'devmapper'] as const;
/** kubecontrol/kube_kata ship instrumented binaries for these versions only. */
export const KUBECONTROL_VERSIONS = ['v1.23.0', 'v1.24.0', 'v1.25.0', 'v1.26.0', 'v1.27.0'] as const;
export const DEFAULT_KUBE_VERSION = 'v1.27.0';

export type UpstreamProvider = (typeof UPSTREAM_PROVIDERS)[number];
export type UpstreamRm = (typeof UPSTREAM_RMS)[number];
export type UpstreamApp = (typeof UPSTREAM_APPS)[number];

export const TIER_NAMES = ['cloud', 'edge', 'endpoint'] as const;

/** Upstream key prefix per link class (`cloud_edge_latency_avg` …). */
export const LINK_KEY_PREFIX: Record<LinkClass, string> = {
  cloud: 'cloud',
  edge: 'edge',
  'cloud-edge': 'cloud_edge',
  'cloud-endpoint': 'cloud_endpoint',
  'edge-endpoint': 'edge_endpoint',
};

/** Upstream link fields → native link fields, with upstream's lower bound. */
export const LINK_FIELDS = [
  { suffix: 'latency_avg', native: 'latency', min: 0 },
  { suffix: 'latency_var', native: 'jitter', min: 0 },
  { suffix: 'throughput', native: 'rate', min: 1 },
] as const;

export const NETWORK_KEYS: string[] = [
  'wireless_network_preset',
  ...Object.values(LINK_KEY_PREFIX).flatMap((p) => LINK_FIELDS.map((f) => `${p}_${f.suffix}`)),
];

export const GCP_KEYS = [
  'gcp_cloud',
  'gcp_edge',
  'gcp_endpoint',
  'gcp_region',
  'gcp_zone',
  'gcp_project',
  'gcp_credentials',
];
export const AWS_KEYS = [
  'aws_cloud',
  'aws_edge',
  'aws_endpoint',
  'aws_region',
  'aws_zone',
  'aws_access_keys',
  'aws_secret_access_keys',
  'aws_ami',
];

/** Every key upstream's parser or one of its modules can read, per section (for "did you mean"). */
export const KNOWN_KEYS: Record<string, string[]> = {
  infrastructure: [
    'provider',
    'infra_only',
    ...TIER_NAMES.flatMap((t) => [
      `${t}_nodes`,
      `${t}_cores`,
      `${t}_memory`,
      `${t}_quota`,
      `${t}_read_speed`,
      `${t}_write_speed`,
    ]),
    'cpu_pin',
    'external_physical_machines',
    'netperf',
    'base_path',
    'prefixip',
    'middleip',
    'middleip_base',
    'delete',
    'network_emulation',
    ...NETWORK_KEYS,
    ...GCP_KEYS,
    ...AWS_KEYS,
  ],
  benchmark: [
    'resource_manager',
    'resource_manager_only',
    'docker_pull',
    'application',
    'application_worker_cpu',
    'application_worker_memory',
    'application_endpoint_cpu',
    'application_endpoint_memory',
    'applications_per_worker',
    'observability',
    'frequency',
    'duration',
    'sleep_time',
    'stress_app_timeout',
    'cache_worker',
    'kube_version',
    'kube_deployment',
    'runtime',
    'runtime_filesystem',
  ],
  execution_model: ['model'],
};

/** The closest known key by edit distance, when it is close enough to be a typo. */
export function suggestKey(section: string, key: string): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of KNOWN_KEYS[section] ?? []) {
    const d = editDistance(k, key);
    if (best === undefined || d < best.d) best = { key: k, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(key.length / 5)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 6) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 99;
}
