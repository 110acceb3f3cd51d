import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';
import type { ScrapeJob } from './prometheus-config.js';

/**
 * Kubernetes runs: the resource manager (rm-kubernetes with `observability: true`) puts the API
 * server, its kubeconfig and the API-proxied metrics paths (apiserver, kubelet, cAdvisor, resource)
 * in its cluster output. The run's Prometheus scrapes them through the API server with the
 * kubeconfig's credentials — the kube-prometheus set of cluster metrics (per-pod CPU/memory from
 * cAdvisor) without installing anything into the cluster.
 */
export interface KubeObservability {
  apiServer: string;
  kubeconfig: string;
  metricsPaths: Record<string, string>;
  /** Continuum node name → Kubernetes node name. */
  nodes: Record<string, string>;
}

export function kubeObservability(cluster: Json | undefined): KubeObservability | undefined {
  if (cluster === null || typeof cluster !== 'object' || Array.isArray(cluster)) return undefined;
  const o = cluster['observability'];
  if (o === null || typeof o !== 'object' || Array.isArray(o) || o['enabled'] !== true) return undefined;
  const paths = o['metricsPaths'];
  const nodes = cluster['nodes'];
  if (
    typeof o['apiServer'] !== 'string' ||
    typeof o['kubeconfig'] !== 'string' ||
    paths === null ||
    typeof paths !== 'object' ||
    Array.isArray(paths)
  )
    return undefined;
  return {
    apiServer: o['apiServer'],
    kubeconfig: o['kubeconfig'],
    metricsPaths: Object.fromEntries(
      Object.entries(paths).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
    nodes:
      nodes !== null && typeof nodes === 'object' && !Array.isArray(nodes)
        ? Object.fromEntries(
            Object.entries(nodes).filter((e): e is [string, string] => typeof e[1] === 'string'),
          )
        : {},
  };
}

interface KubeconfigFile {
  clusters?: {
    name: string;
    cluster: {
      server?: string;
      'certificate-authority-data'?: string;
      'certificate-authority'?: string;
      'insecure-skip-tls-verify'?: boolean;
    };
  }[];
  users?: {
    name: string;
    user: {
      'client-certificate-data'?: string;
      'client-key-data'?: string;
      'client-certificate'?: string;
      'client-key'?: string;
      token?: string;
    };
  }[];
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  'current-context'?: string;
}

export interface ScrapeAuth {
  tls: { ca_file?: string; cert_file?: string; key_file?: string; insecure_skip_verify?: boolean };
  bearerFile?: string;
}

/** Credentials of the kubeconfig's current context as files Prometheus reads (mode 0600). */
export async function credentialsFromKubeconfig(kubeconfig: string, dir: string): Promise<ScrapeAuth> {
  const { parse } = await import('yaml');
  let doc: KubeconfigFile;
  try {
    doc = parse(readFileSync(kubeconfig, 'utf8')) as KubeconfigFile;
  } catch (error) {
    throw new ContinuumError(
      'KUBECONFIG_UNREADABLE',
      `Cannot read the cluster's kubeconfig ${kubeconfig}: ${(error as Error).message}`,
      { hint: 'The resource manager writes it at install; is the run intact?' },
    );
  }
  const context = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
  const cluster = doc.clusters?.find((c) => c.name === context?.context.cluster) ?? doc.clusters?.[0];
  const user = doc.users?.find((u) => u.name === context?.context.user) ?? doc.users?.[0];
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const write = (name: string, base64: string): string => {
    const file = join(dir, name);
    writeFileSync(file, Buffer.from(base64, 'base64'), { mode: 0o600 });
    chmodSync(file, 0o600);
    return file;
  };
  const tls: ScrapeAuth['tls'] = {};
  const c = cluster?.cluster;
  if (c?.['certificate-authority-data'] !== undefined)
    tls.ca_file = write('ca.crt', c['certificate-authority-data']);
  else if (c?.['certificate-authority'] !== undefined) tls.ca_file = c['certificate-authority'];
  if (c?.['insecure-skip-tls-verify'] === true) tls.insecure_skip_verify = true;
  const u = user?.user;
  if (u?.['client-certificate-data'] !== undefined)
    tls.cert_file = write('client.crt', u['client-certificate-data']);
  else if (u?.['client-certificate'] !== undefined) tls.cert_file = u['client-certificate'];
  if (u?.['client-key-data'] !== undefined) tls.key_file = write('client.key', u['client-key-data']);
  else if (u?.['client-key'] !== undefined) tls.key_file = u['client-key'];
  const auth: ScrapeAuth = { tls };
  if (u?.token !== undefined) {
    const file = join(dir, 'token');
    writeFileSync(file, u.token, { mode: 0o600 });
    auth.bearerFile = file;
  }
  return auth;
}

/** One job per metrics path (and per node for node paths), all through the API server. */
export function kubeScrapeJobs(obs: KubeObservability, auth: ScrapeAuth): ScrapeJob[] {
  const url = new URL(obs.apiServer);
  const address = url.port !== '' ? url.host : `${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`;
  const jobs: ScrapeJob[] = [];
  for (const [name, path] of Object.entries(obs.metricsPaths)) {
    if (path.includes('{node}')) {
      for (const [node, k8sNode] of Object.entries(obs.nodes)) {
        jobs.push({
          job: `k8s-${name}-${node}`,
          path: path.replace('{node}', encodeURIComponent(k8sNode)),
          scheme: url.protocol.replace(':', ''),
          auth,
          targets: [{ address, labels: { node, k8s_node: k8sNode, source: name } }],
        });
      }
    } else
      jobs.push({
        job: `k8s-${name}`,
        path,
        scheme: url.protocol.replace(':', ''),
        auth,
        targets: [{ address, labels: { source: name } }],
      });
  }
  return jobs;
}
