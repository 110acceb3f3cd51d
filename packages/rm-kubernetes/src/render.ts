import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ContinuumError, type NodeInfo } from '@continuum/plugin-api';
import { bundleArchives, bundleDownloads, PINNED, type KubeVersion } from './versions.js';

/** The package's `templates/` folder (shipped in the npm package next to dist/). */
export const TEMPLATES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'templates');

/**
 * Nunjucks with `[[ ]]` / `[% %]` delimiters: the playbooks themselves are Jinja2 for Ansible
 * (`{{ }}`), so Continuum's own placeholders must not collide with Ansible's.
 */
export async function createRenderer(
  searchPaths: readonly string[] = [join(TEMPLATES_DIR, 'ansible')],
): Promise<(name: string, context: object) => string> {
  const nunjucks = (await import('nunjucks')).default;
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([...searchPaths], { noCache: true }), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
    tags: {
      blockStart: '[%',
      blockEnd: '%]',
      variableStart: '[[',
      variableEnd: ']]',
      commentStart: '<#',
      commentEnd: '#>',
    },
  });
  return (name, context) => {
    try {
      return env.render(name, context);
    } catch (error) {
      throw new ContinuumError(
        'TEMPLATE_RENDER_FAILED',
        `Could not render ${name}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
}

/** Kubernetes node names are DNS-1123 subdomains: `cloud_controller` → `cloud-controller`. */
export function k8sNodeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^-+|-+$/g, '');
}

export interface InventoryHost {
  name: string;
  host: string;
  port: number;
  user: string;
  keyFile: string;
  address: string;
  continuumName: string;
  tier: string;
  k8sName: string;
}

/** Ansible hosts from NodeInfo; only ssh-reachable nodes can be managed (VMs, cloud machines). */
export function inventoryHost(node: NodeInfo): InventoryHost {
  if (node.access.kind !== 'ssh') {
    throw new ContinuumError(
      'K8S_NODE_NOT_SSH',
      `Node ${node.name} is reached by ${node.access.kind}, but Kubernetes is installed over ssh with Ansible.`,
      {
        hint: 'Use a VM provider (qemu, gcp) for Kubernetes-based resource managers; the local provider suits the process or docker runners.',
      },
    );
  }
  return {
    name: node.name,
    host: node.access.host,
    port: node.access.port,
    user: node.access.user,
    keyFile: node.access.keyFile,
    address: node.address,
    continuumName: node.name,
    tier: node.tier,
    k8sName: k8sNodeName(node.name),
  };
}

export interface InventoryGroup {
  name: string;
  hosts: InventoryHost[];
}

export interface OfflineBundle {
  /** Bundle directory on the Continuum host. */
  localDir: string;
}

export interface ClusterRenderInput {
  runId: string;
  kube: KubeVersion;
  controller: NodeInfo;
  workers: readonly NodeInfo[];
  /** Extra inventory groups (endpoints for docker, edges for kubeedge …). */
  extraGroups?: InventoryGroup[];
  outDir: string;
  offline?: OfflineBundle | undefined;
  /** Install a node-local mosquitto on workers (upstream); off when the mqtt service runs brokers. */
  mosquitto: boolean;
  /** Apply Flannel (kubernetes) or not (kubeedge uses no CNI on the cloud side, as upstream). */
  applyCni: boolean;
  podSubnet?: string;
  joinTimeoutSeconds?: number;
}

export interface RenderedCluster {
  inventory: string;
  playbooks: { base: string; control: string; workers: string };
  kubeadmConfig: string;
  kubeconfigFile: string;
  joinFile: string;
  files: string[];
}

export const REMOTE_BUNDLE_DIR = '/var/cache/continuum/bundle';

/** kubeadm's config API: v1beta4 from 1.31 (v1beta3 deprecated), v1beta3 before. */
export function kubeadmConfigDocuments(input: {
  kube: KubeVersion;
  advertiseAddress: string;
  nodeName: string;
  podSubnet: string;
}): object[] {
  const minor = Number(input.kube.minorNumber.split('.')[1]);
  const apiVersion = minor >= 31 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
  return [
    {
      apiVersion,
      kind: 'InitConfiguration',
      localAPIEndpoint: { advertiseAddress: input.advertiseAddress, bindPort: 6443 },
      nodeRegistration: {
        name: input.nodeName,
        criSocket: 'unix:///var/run/containerd/containerd.sock',
        // Upstream's controller runs the control plane only.
        taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      },
    },
    {
      apiVersion,
      kind: 'ClusterConfiguration',
      kubernetesVersion: input.kube.kubeadmVersion,
      networking: { podSubnet: input.podSubnet },
      apiServer: { certSANs: [input.advertiseAddress] },
    },
    { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' },
  ];
}

export async function renderClusterArtifacts(input: ClusterRenderInput): Promise<RenderedCluster> {
  const render = await createRenderer();
  mkdirSync(input.outDir, { recursive: true });
  const write = (name: string, text: string): string => {
    const path = join(input.outDir, name);
    writeFileSync(path, text);
    return path;
  };
  const controllerHost = inventoryHost(input.controller);
  const groups: InventoryGroup[] = [
    { name: 'cloudcontroller', hosts: [controllerHost] },
    { name: 'workers', hosts: input.workers.map(inventoryHost) },
    ...(input.extraGroups ?? []),
  ];
  const kubeconfigFile = join(input.outDir, 'admin.kubeconfig');
  const joinFile = join(input.outDir, 'join-command.txt');
  const podSubnet = input.podSubnet ?? '10.244.0.0/16';
  const common = {
    runId: input.runId,
    kube: input.kube,
    offline: input.offline !== undefined,
    bundle: {
      localDir: input.offline?.localDir ?? '',
      remoteDir: REMOTE_BUNDLE_DIR,
      ...bundleArchives(input.kube),
    },
    cni: {
      name: 'Flannel',
      version: PINNED.flannel.version,
      url: PINNED.flannel.url,
      file: PINNED.flannel.file,
      apply: input.applyCni,
    },
    mosquitto: input.mosquitto,
    templatesDir: join(TEMPLATES_DIR, 'files'),
    kubeconfigFile,
    joinFile,
    joinTimeoutSeconds: input.joinTimeoutSeconds ?? 1800,
  };
  const kubeadmConfig = write(
    'kubeadm-config.yaml',
    kubeadmConfigDocuments({
      kube: input.kube,
      advertiseAddress: input.controller.address,
      nodeName: controllerHost.k8sName,
      podSubnet,
    })
      .map((d) => stringify(d))
      .join('---\n'),
  );
  const inventory = write('inventory.ini', render('inventory.ini.njk', { runId: input.runId, groups }));
  const base = write(
    'base_install.yml',
    render('base_install.yml.njk', { ...common, hosts: 'cloudcontroller:workers' }),
  );
  const control = write(
    'control_install.yml',
    render('control_install.yml.njk', { ...common, kubeadmConfig }),
  );
  const workers = write('worker_install.yml', render('worker_install.yml.njk', common));
  return {
    inventory,
    playbooks: { base, control, workers },
    kubeadmConfig,
    kubeconfigFile,
    joinFile,
    files: [inventory, base, control, workers, kubeadmConfig],
  };
}

/** The playbook that fills an offline bundle on a machine with internet (see README). */
export async function renderBundleFetch(input: {
  kube: KubeVersion;
  bundleDir: string;
  outFile: string;
  extraDownloads?: { url: string; dest: string }[];
  extraImages?: string[];
}): Promise<string> {
  const render = await createRenderer();
  mkdirSync(dirname(input.outFile), { recursive: true });
  writeFileSync(
    input.outFile,
    render('fetch_bundle.yml.njk', {
      kube: input.kube,
      bundleDir: input.bundleDir,
      downloads: [...bundleDownloads(input.kube), ...(input.extraDownloads ?? [])],
      extraImages: input.extraImages ?? [],
    }),
  );
  return input.outFile;
}
