import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ContinuumError,
  runTag,
  type Context,
  type Json,
  type Node,
  type WorkloadRunner,
} from '@continuum/plugin-api';
import {
  dockerRunnerFor,
  prepareDockerNodes,
  createRuntimeImageDelivery,
  teardownContainers,
  type ContainerRecord,
} from '@continuum/rm-docker';
import { runPlaybook, syntaxCheck } from './ansible.js';
import type { KubernetesOptions } from './config.js';
import { createContainerdImageDelivery, privileged } from './containerd-images.js';
import { createJobRunner, createSplitRunner, type JobRecord } from './job-runner.js';
import type { PodExtras } from './manifests.js';
import { connect, type KubeClient } from './k8s.js';
import { waitForNodesReady } from './readiness.js';
import { k8sNodeName, renderClusterArtifacts, type RenderedCluster } from './render.js';
import { parseKubeVersion, type KubeVersion } from './versions.js';

export interface KubeState {
  /** Written before the first playbook runs. */
  installing?: { nodes: string[]; startedAt: string };
  kubeconfig?: string;
  apiServer?: string;
  namespace?: string;
  jobs: JobRecord[];
  containers: ContainerRecord[];
  /** Namespaces whose whole content belongs to the run (OpenFaaS), deleted at teardown. */
  namespaces?: string[];
}

export interface KubeCluster {
  runner: string;
  version: string;
  kubeconfig: string;
  apiServer: string;
  namespace: string;
  /** Continuum node name → Kubernetes node name. */
  nodes: Record<string, string>;
  readyAfterMs: number;
  runtimeImage: string | null;
  /** What monitors need: the API and the kubelet/cAdvisor metrics paths proxied by it. */
  observability: {
    enabled: boolean;
    apiServer: string;
    kubeconfig: string;
    metricsPaths: Record<string, string>;
  } | null;
  [key: string]: Json;
}

export type KubeContext = Context<KubernetesOptions, KubeState>;

/** The kube version of a run: the bundle's pinned VERSION wins when installing offline. */
export function effectiveKubeVersion(options: KubernetesOptions): KubeVersion {
  if (options.offlineBundle !== undefined) {
    const file = join(options.offlineBundle, 'VERSION');
    if (!existsSync(file)) {
      throw new ContinuumError(
        'K8S_BUNDLE_INCOMPLETE',
        `resourceManager.options.offlineBundle: ${options.offlineBundle} has no VERSION file.`,
        {
          hint: 'Fill the bundle first with the fetch-bundle playbook (see the rm-kubernetes README) on a machine with internet.',
        },
      );
    }
    return parseKubeVersion(readFileSync(file, 'utf8').trim(), `${file}`);
  }
  return parseKubeVersion(options.kubernetesVersion);
}

export async function updateState(ctx: KubeContext, patch: Partial<KubeState>): Promise<void> {
  const current = ctx.state.get() ?? { jobs: [], containers: [] };
  await ctx.state.set({ ...current, ...patch });
}

/** Serialised state appends (runners record jobs/containers concurrently). */
function recorder(ctx: KubeContext) {
  let chain = Promise.resolve();
  return {
    job: (job: JobRecord): Promise<void> =>
      (chain = chain.then(() => updateState(ctx, { jobs: [...(ctx.state.get()?.jobs ?? []), job] }))),
  };
}

export interface InstallPlan {
  controller: Node;
  /** Nodes that join with kubeadm (cloud workers for kubernetes). */
  kubeadmWorkers: Node[];
  /** Every node expected Ready in the API, by Continuum name. */
  readyNodes: Node[];
  /** Endpoint nodes: Docker (upstream). */
  endpoints: Node[];
  applyCni: boolean;
  /** Extra playbooks after the control plane (keadm, OpenFaaS …), run in order. */
  afterControlPlane?: (
    artifacts: RenderedCluster,
    run: (playbook: string, inventory?: string) => Promise<void>,
  ) => Promise<void>;
}

export function controllerOf(ctx: { nodes: readonly Node[] }): Node {
  const controller = ctx.nodes.find((n) => n.role === 'cloud-controller');
  if (controller === undefined) {
    throw new ContinuumError(
      'K8S_NO_CONTROLLER',
      'No cloud_controller node exists, but a Kubernetes control plane needs one.',
      {
        hint: 'Give the cloud tier at least one node: the first becomes cloud_controller (upstream rule).',
      },
    );
  }
  return controller;
}

/**
 * The install shared by kubernetes, kubeedge and openfaas: render → syntax-check → base →
 * control plane ‖ workers (the workers wait for the join command, as upstream) → extra steps →
 * readiness by polling the API → endpoints' Docker → optional warm-up.
 */
export async function installCluster(
  ctx: KubeContext,
  plan: InstallPlan,
  runnerName: string,
): Promise<KubeCluster> {
  const started = Date.now();
  const kube = effectiveKubeVersion(ctx.config);
  const k8sNodes = [plan.controller, ...plan.kubeadmWorkers];
  await updateState(ctx, {
    installing: { nodes: plan.readyNodes.map((n) => n.name), startedAt: new Date().toISOString() },
    namespace: ctx.config.namespace,
  });
  const mosquitto =
    ctx.config.nodeLocalBroker === 'auto'
      ? ctx.outputs.services['mqtt'] === undefined
      : ctx.config.nodeLocalBroker;
  const artifacts = await renderClusterArtifacts({
    runId: ctx.run.id,
    kube,
    controller: plan.controller,
    workers: plan.kubeadmWorkers,
    outDir: join(ctx.workDir, 'ansible'),
    offline: ctx.config.offlineBundle === undefined ? undefined : { localDir: ctx.config.offlineBundle },
    mosquitto,
    applyCni: plan.applyCni,
  });
  for (const playbook of Object.values(artifacts.playbooks)) {
    const check = await syntaxCheck(playbook, artifacts.inventory);
    if (!check.ok)
      throw new ContinuumError(
        'ANSIBLE_SYNTAX',
        `Rendered playbook ${playbook} fails ansible-playbook --syntax-check: ${check.output.slice(0, 1500)}`,
      );
  }
  const run = (playbook: string, inventory: string = artifacts.inventory): Promise<void> =>
    runPlaybook({
      playbook,
      inventory,
      log: ctx.log,
      logFile: join(ctx.run.dir, 'logs', `ansible-${runnerName}.log`),
      signal: ctx.signal,
    }).then(() => undefined);
  ctx.log.progress(`installing Kubernetes ${kube.version} on ${k8sNodes.length} node(s)`);
  await run(artifacts.playbooks.base);
  await Promise.all([
    run(artifacts.playbooks.control),
    plan.kubeadmWorkers.length > 0 ? run(artifacts.playbooks.workers) : Promise.resolve(),
  ]);
  if (plan.afterControlPlane !== undefined) await plan.afterControlPlane(artifacts, run);
  const apiServer = ctx.config.apiServer ?? `https://${plan.controller.address}:6443`;
  await updateState(ctx, { kubeconfig: artifacts.kubeconfigFile, apiServer });
  const client = await connect(artifacts.kubeconfigFile, { server: apiServer });
  const expected = plan.readyNodes.map((n) => k8sNodeName(n.name));
  const ready = await waitForNodesReady(client, expected, {
    timeoutMs: ctx.config.readyTimeoutSeconds * 1000,
    signal: ctx.signal,
    log: ctx.log,
  });
  ctx.log.info(
    `all ${expected.length} Kubernetes node(s) Ready ${Math.round((Date.now() - started) / 1000)} s after install started`,
  );
  if (plan.endpoints.length > 0) {
    await prepareDockerNodes(
      plan.endpoints,
      { host: ctx.config.docker.dockerHost },
      { installDocker: ctx.config.docker.installDocker, log: ctx.log, signal: ctx.signal },
    );
    const delivery = createRuntimeImageDelivery({
      cacheDir: ctx.workDir,
      endpoint: { host: ctx.config.docker.dockerHost },
      log: ctx.log,
    });
    await Promise.all(plan.endpoints.map((n) => delivery.ensure(n)));
  }
  const workers = plan.readyNodes.filter((n) => n.role !== 'cloud-controller');
  const images = createContainerdImageDelivery({ cacheDir: ctx.workDir, log: ctx.log });
  const runtimeImages = await Promise.all(workers.map((n) => images.ensure(n)));
  if (ctx.config.cacheWorker) await warmUp(ctx, client, workers);
  const observability = ctx.config.observability
    ? {
        enabled: true,
        apiServer,
        kubeconfig: artifacts.kubeconfigFile,
        metricsPaths: {
          apiserver: '/metrics',
          kubelet: '/api/v1/nodes/{node}/proxy/metrics',
          cadvisor: '/api/v1/nodes/{node}/proxy/metrics/cadvisor',
          resource: '/api/v1/nodes/{node}/proxy/metrics/resource',
        },
      }
    : null;
  return {
    runner: runnerName,
    version: kube.version,
    kubeconfig: artifacts.kubeconfigFile,
    apiServer,
    namespace: ctx.config.namespace,
    nodes: Object.fromEntries(plan.readyNodes.map((n) => [n.name, k8sNodeName(n.name)])),
    readyAfterMs: Date.now() - started,
    /** The runtime image (host node binary + libraries) present in containerd on every worker. */
    runtimeImage: runtimeImages[0] ?? null,
    pollsUntilReady: ready.polls,
    observability,
  };
}

/** Upstream `cache_worker`: one short pod per worker before measuring, so image and pod setup are warm. */
async function warmUp(ctx: KubeContext, client: KubeClient, workers: readonly Node[]): Promise<void> {
  const runner = jobRunnerFor(
    ctx,
    { kubeconfig: '', apiServer: '', namespace: ctx.config.namespace },
    workers,
    'kubernetes',
    () => Promise.resolve(client),
  );
  const runs = await Promise.all(
    workers.map((n) =>
      runner.run({
        name: `warmup-${n.name}`,
        node: n.name,
        command: [process.execPath, '-e', "console.log('warm')"],
      }),
    ),
  );
  for (const w of runs) {
    const exit = await w.wait({ timeoutMs: ctx.config.startTimeoutSeconds * 1000 });
    if (exit.phase !== 'succeeded')
      throw new ContinuumError(
        'K8S_WARMUP_FAILED',
        `Warm-up pod on ${w.ref.node} failed: ${exit.reason ?? ''}`,
      );
    await w.stop();
  }
}

export function jobRunnerFor(
  ctx: KubeContext,
  cluster: { kubeconfig: string; apiServer: string; namespace: string },
  nodes: readonly Node[],
  name: string,
  client?: () => Promise<KubeClient>,
  pod?: PodExtras,
): WorkloadRunner {
  let connected: Promise<KubeClient> | undefined;
  const images = createContainerdImageDelivery({ cacheDir: ctx.workDir, log: ctx.log });
  const record = recorder(ctx);
  return createJobRunner({
    client: client ?? (() => (connected ??= connect(cluster.kubeconfig, { server: cluster.apiServer }))),
    runId: ctx.run.id,
    namespace: cluster.namespace,
    nodes,
    logDir: join(ctx.run.dir, 'logs'),
    ensureImage: (n) => images.ensure(n),
    record: record.job,
    startTimeoutMs: ctx.config.startTimeoutSeconds * 1000,
    runnerName: name,
    ...(pod !== undefined ? { pod } : {}),
  });
}

/** Workers as Jobs, endpoints as Docker containers. */
export function clusterRunner(
  ctx: KubeContext,
  clusterJson: Json,
  name: string,
  pod?: PodExtras,
): WorkloadRunner {
  const cluster = clusterJson as unknown as KubeCluster;
  const k8sNodes = ctx.nodes.filter((n) => n.role !== 'endpoint' && n.role !== 'cloud-controller');
  const endpoints = ctx.nodes.filter((n) => n.role === 'endpoint');
  const jobs = jobRunnerFor(ctx, cluster, k8sNodes, name, undefined, pod);
  const dockerCtx = { ...ctx, config: ctx.config.docker } as unknown as Parameters<typeof dockerRunnerFor>[0];
  const docker = dockerRunnerFor(dockerCtx, endpoints);
  const endpointNames = new Set(endpoints.map((n) => n.name));
  return createSplitRunner(jobs, docker, (n) => endpointNames.has(n));
}

/** Idempotent, from state alone: delete recorded Jobs (if the API answers), endpoint containers, kubeadm state. */
export async function teardownCluster(ctx: KubeContext): Promise<void> {
  const state = ctx.state.get();
  if (state === undefined) return;
  const problems: string[] = [];
  if (
    state.kubeconfig !== undefined &&
    existsSync(state.kubeconfig) &&
    (state.jobs.length > 0 || (state.namespaces ?? []).length > 0)
  ) {
    try {
      const client = await connect(
        state.kubeconfig,
        state.apiServer !== undefined ? { server: state.apiServer } : {},
      );
      for (const job of state.jobs) {
        await client.batch
          .deleteNamespacedJob({ name: job.name, namespace: job.namespace, propagationPolicy: 'Background' })
          .catch(() => undefined);
      }
      for (const ns of state.namespaces ?? [])
        await client.core.deleteNamespace({ name: ns }).catch(() => undefined);
    } catch (error) {
      problems.push(`jobs: ${(error as Error).message}`);
    }
  }
  try {
    const dockerCtx = {
      ...ctx,
      config: ctx.config.docker,
      state: { get: () => ({ containers: state.containers }), set: () => Promise.resolve() },
    };
    await teardownContainers(dockerCtx);
  } catch (error) {
    problems.push(`containers: ${(error as Error).message}`);
  }
  // Nodes that outlive the run (bare metal, reused VMs) get their kubeadm state removed.
  const reset = ctx.config.resetNodesOnTeardown
    ? ctx.nodes.filter((n) => state.installing?.nodes.includes(n.name))
    : [];
  for (const node of reset) {
    await privileged(node, ['kubeadm', 'reset', '--force'], 120_000).catch((error: Error) =>
      problems.push(`${node.name}: ${error.message}`),
    );
  }
  if (problems.length > 0) ctx.log.warn(`teardown left some pieces: ${problems.join('; ')}`);
  ctx.log.debug(`kubernetes teardown done for run ${runTag(ctx.run.id)}`);
}
