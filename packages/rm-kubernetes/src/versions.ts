import { ContinuumError } from '@continuum/plugin-api';

/**
 * Pinned versions of everything the install fetches: release URLs, never `master`/`latest`
 * (upstream's non-reproducible Flannel and metrics-server URLs, continuum-upstream.md §7 item 4).
 */
export const PINNED = {
  flannel: {
    version: 'v0.26.1',
    url: 'https://github.com/flannel-io/flannel/releases/download/v0.26.1/kube-flannel.yml',
    file: 'kube-flannel.yml',
  },
  containerd: { version: '1.7.24' },
  runc: { version: 'v1.2.4' },
  cniPlugins: { version: 'v1.6.2' },
  kubeRelease: { version: 'v0.16.2' },
  keadm: { version: 'v1.20.0' },
  openfaas: {
    chart: '14.2.103',
    gateway: 'ghcr.io/openfaas/gateway:0.27.12',
    faasNetes: 'ghcr.io/openfaas/faas-netes:0.18.13',
    watchdog: 'ghcr.io/openfaas/classic-watchdog:0.3.3',
  },
} as const;

/**
 * Minor releases published at pkgs.k8s.io/core:/stable:/v1.XX (the repository family that replaced
 * apt.kubernetes.io); older minors never were on pkgs.k8s.io.
 */
export const SUPPORTED_MINORS = [
  '1.24',
  '1.25',
  '1.26',
  '1.27',
  '1.28',
  '1.29',
  '1.30',
  '1.31',
  '1.32',
  '1.33',
  '1.34',
] as const;
export const DEFAULT_KUBERNETES_VERSION = '1.31';

/** pause image per minor, as `kubeadm config images list` prints it. */
const PAUSE: Record<string, string> = {
  '1.24': '3.7',
  '1.25': '3.8',
  '1.26': '3.9',
  '1.27': '3.9',
  '1.28': '3.9',
  '1.29': '3.9',
  '1.30': '3.9',
  '1.31': '3.10',
  '1.32': '3.10',
  '1.33': '3.10',
  '1.34': '3.10',
};

export interface KubeVersion {
  /** `v1.31` or `v1.31.4`, as given. */
  version: string;
  /** `v1.31`: the pkgs.k8s.io channel. */
  minor: string;
  minorNumber: string;
  /** Patch number if pinned. */
  patch: number | undefined;
  /** apt version pattern: `1.31.4-*` or `1.31.*`. */
  aptPin: string;
  /** kubeadm's kubernetesVersion: `v1.31.4` or `stable-1.31`. */
  kubeadmVersion: string;
  pauseImage: string;
}

export function parseKubeVersion(
  input: string,
  path = 'resourceManager.options.kubernetesVersion',
): KubeVersion {
  const m = /^v?(1)\.(\d+)(?:\.(\d+))?$/.exec(input.trim());
  const minorNumber = m === null ? undefined : `${m[1]}.${m[2]}`;
  if (
    m === null ||
    minorNumber === undefined ||
    !(SUPPORTED_MINORS as readonly string[]).includes(minorNumber)
  ) {
    throw new ContinuumError(
      'K8S_UNKNOWN_VERSION',
      `${path}: "${input}" is not a Kubernetes version published at pkgs.k8s.io.`,
      {
        hint: `Use one of ${SUPPORTED_MINORS.map((v) => `v${v}`).join(', ')} (optionally with a patch, e.g. v${DEFAULT_KUBERNETES_VERSION}.4).`,
        details: { path, value: input },
      },
    );
  }
  const patch = m[3] === undefined ? undefined : Number(m[3]);
  return {
    version: patch === undefined ? `v${minorNumber}` : `v${minorNumber}.${patch}`,
    minor: `v${minorNumber}`,
    minorNumber,
    patch,
    aptPin: patch === undefined ? `${minorNumber}.*` : `${minorNumber}.${patch}-*`,
    kubeadmVersion: patch === undefined ? `stable-${minorNumber}` : `v${minorNumber}.${patch}`,
    pauseImage: `registry.k8s.io/pause:${PAUSE[minorNumber] ?? '3.10'}`,
  };
}

/** Release files an offline bundle carries besides the Kubernetes binaries and images. */
export function bundleDownloads(kube: KubeVersion): { url: string; dest: string }[] {
  const c = PINNED.containerd.version;
  const crictl = `v${kube.minorNumber}.0`;
  const rel = PINNED.kubeRelease.version;
  return [
    {
      url: `https://github.com/containerd/containerd/releases/download/v${c}/containerd-${c}-linux-amd64.tar.gz`,
      dest: `containerd-${c}-linux-amd64.tar.gz`,
    },
    {
      url: `https://raw.githubusercontent.com/containerd/containerd/v${c}/containerd.service`,
      dest: 'systemd/containerd.service',
    },
    {
      url: `https://github.com/opencontainers/runc/releases/download/${PINNED.runc.version}/runc.amd64`,
      dest: 'runc.amd64',
    },
    {
      url: `https://github.com/containernetworking/plugins/releases/download/${PINNED.cniPlugins.version}/cni-plugins-linux-amd64-${PINNED.cniPlugins.version}.tgz`,
      dest: `cni-plugins-linux-amd64-${PINNED.cniPlugins.version}.tgz`,
    },
    {
      url: `https://github.com/kubernetes-sigs/cri-tools/releases/download/${crictl}/crictl-${crictl}-linux-amd64.tar.gz`,
      dest: `crictl-${crictl}-linux-amd64.tar.gz`,
    },
    {
      url: `https://raw.githubusercontent.com/kubernetes/release/${rel}/cmd/krel/templates/latest/kubelet/kubelet.service`,
      dest: 'systemd/kubelet.service',
    },
    {
      url: `https://raw.githubusercontent.com/kubernetes/release/${rel}/cmd/krel/templates/latest/kubeadm/10-kubeadm.conf`,
      dest: 'systemd/10-kubeadm.conf',
    },
    { url: PINNED.flannel.url, dest: `manifests/${PINNED.flannel.file}` },
  ];
}

export function bundleArchives(kube: KubeVersion): {
  containerdArchive: string;
  cniArchive: string;
  crictlArchive: string;
} {
  return {
    containerdArchive: `containerd-${PINNED.containerd.version}-linux-amd64.tar.gz`,
    cniArchive: `cni-plugins-linux-amd64-${PINNED.cniPlugins.version}.tgz`,
    crictlArchive: `crictl-v${kube.minorNumber}.0-linux-amd64.tar.gz`,
  };
}
