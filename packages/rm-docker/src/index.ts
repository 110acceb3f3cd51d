import { join } from 'node:path';
import { z } from 'zod';
import {
  ContinuumError,
  defineResourceManager,
  runTag,
  type Context,
  type Diagnostic,
  type Json,
  type Logger,
  type Node,
  type Topology,
  type WorkloadRunner,
} from '@continuum/plugin-api';
import { docker, type DockerEndpoint } from './docker-cli.js';
import { createRuntimeImageDelivery } from './images.js';
import { createDockerRunner, removeRunContainers, type ContainerRecord } from './runner.js';

export {
  containerName,
  docker,
  dockerEnv,
  RUN_LABEL,
  COMPONENT_LABEL,
  type DockerEndpoint,
} from './docker-cli.js';
export {
  createDockerRunner,
  mountsFor,
  parseTimestampedLine,
  removeRunContainers,
  runArguments,
  timelineFromInspect,
  type ContainerRecord,
} from './runner.js';
export { createRuntimeImageDelivery, hasImage, installationNodeModules } from './images.js';
export { buildRuntimeTarball, parseLdd, planRuntimeImage } from './runtime-image.js';

export const dockerOptionsSchema = z
  .object({
    /** DOCKER_HOST for the docker CLI on every node (default: the node's own daemon). */
    dockerHost: z.string().min(1).optional(),
    /** Container network; `host` as upstream (endpoints and mist workers share the node's stack). */
    network: z.string().min(1).default('host'),
    /** Install docker.io with apt on ssh nodes that lack it (the distribution mirror is reachable). */
    installDocker: z.boolean().default(true),
  })
  .strict();
export type DockerOptions = z.output<typeof dockerOptionsSchema>;

export interface DockerState {
  /** Nodes where containers may exist, and every container, recorded before it is created. */
  containers: ContainerRecord[];
}

export interface DockerCluster {
  runner: 'docker';
  nodes: string[];
  image: string | null;
  [key: string]: Json;
}

/** Upstream's `mist` rule (continuum-upstream.md §2.7): workers are plain containers on edge nodes. */
export function mistDiagnostics(topology: Topology): Diagnostic[] {
  const { cloud, edge, endpoint } = {
    cloud: topology.tiers.cloud.nodes,
    edge: topology.tiers.edge.nodes,
    endpoint: topology.tiers.endpoint.nodes,
  };
  const out: Diagnostic[] = [];
  const rule =
    'the docker resource manager (upstream "mist") needs cloud nodes == 0, edge nodes >= 1, endpoint nodes >= 1 and endpoints divisible by edges';
  if (cloud !== 0)
    out.push({
      severity: 'error',
      path: 'infrastructure.cloud.nodes',
      message: `${cloud} cloud node(s) given, but ${rule}.`,
      hint: 'Set cloud nodes to 0, or use resourceManager kubernetes for cloud workers.',
    });
  if (edge < 1)
    out.push({
      severity: 'error',
      path: 'infrastructure.edge.nodes',
      message: `No edge nodes, but ${rule}.`,
      hint: 'Add at least one edge node: mist workers run on edge nodes.',
    });
  if (endpoint < 1)
    out.push({
      severity: 'error',
      path: 'infrastructure.endpoint.nodes',
      message: `No endpoint nodes, but ${rule}.`,
      hint: 'Add at least one endpoint node.',
    });
  if (edge >= 1 && endpoint % edge !== 0) {
    out.push({
      severity: 'error',
      path: 'infrastructure.endpoint.nodes',
      message: `${endpoint} endpoints cannot be spread evenly over ${edge} edge nodes: ${rule}.`,
      hint: `Use a multiple of ${edge} endpoints.`,
    });
  }
  return out;
}

/** Makes sure docker answers on each node; installs docker.io over the node's exec if allowed. */
export async function prepareDockerNodes(
  nodes: readonly Node[],
  endpoint: DockerEndpoint,
  options: { installDocker: boolean; log: Logger; signal?: AbortSignal },
): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      const probe = await docker(node, endpoint, ['version', '--format', '{{.Server.Version}}'], {
        check: false,
        timeoutMs: 30_000,
      });
      if (probe.exitCode === 0) {
        options.log.debug(`docker ${probe.stdout.trim()} on ${node.name}`);
        return;
      }
      if (!options.installDocker || node.access.kind !== 'ssh') {
        throw new ContinuumError(
          'DOCKER_UNAVAILABLE',
          `Docker does not answer on node ${node.name}: ${(probe.stderr || probe.stdout).trim().slice(0, 500)}`,
          {
            hint:
              node.access.kind === 'ssh'
                ? 'Install docker.io in the node image, or set resourceManager.options.installDocker: true.'
                : 'Start dockerd on this machine (see the rm-docker README) or set resourceManager.options.dockerHost.',
          },
        );
      }
      options.log.progress(`installing docker.io on ${node.name}`);
      // A fixed script (no config values): Debian/Ubuntu guests reach their distribution mirror.
      await node.exec(
        [
          'sh',
          '-c',
          'export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends docker.io apparmor && (systemctl enable --now docker || service docker start)',
        ],
        {
          timeoutMs: 900_000,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
    }),
  );
}

/** Nodes the docker RM runs components on: every node except a control-plane-only controller. */
function targetNodes(nodes: readonly Node[]): Node[] {
  return nodes.filter((n) => n.role !== 'cloud-controller');
}

export function dockerRunnerFor(
  ctx: Context<{ dockerHost?: string | undefined; network: string }, DockerState>,
  nodes: readonly Node[],
): WorkloadRunner {
  const endpoint: DockerEndpoint = { host: ctx.config.dockerHost };
  const delivery = createRuntimeImageDelivery({ cacheDir: ctx.workDir, endpoint, log: ctx.log });
  let chain = Promise.resolve();
  return createDockerRunner({
    runId: ctx.run.id,
    tag: runTag(ctx.run.id),
    nodes,
    endpoint,
    logDir: join(ctx.run.dir, 'logs'),
    network: ctx.config.network,
    ensureDefaultImage: (node) => delivery.ensure(node),
    // Serialised so concurrent run() calls never lose each other's records.
    record: (container) =>
      (chain = chain.then(async () => {
        const containers = ctx.state.get()?.containers ?? [];
        await ctx.state.set({ ...ctx.state.get(), containers: [...containers, container] });
      })),
  });
}

export async function teardownContainers(
  ctx: Context<{ dockerHost?: string | undefined }, DockerState>,
): Promise<void> {
  const records = ctx.state.get()?.containers ?? [];
  const endpoint: DockerEndpoint = { host: ctx.config.dockerHost };
  const errors: string[] = [];
  for (const node of ctx.nodes) {
    const names = records.filter((r) => r.node === node.name).map((r) => r.name);
    try {
      const removed = await removeRunContainers(node, endpoint, ctx.run.id, names);
      if (removed.length > 0) ctx.log.debug(`removed ${removed.length} container(s) on ${node.name}`);
    } catch (error) {
      errors.push(`${node.name}: ${(error as Error).message}`);
    }
  }
  if (errors.length > 0)
    throw new ContinuumError(
      'DOCKER_TEARDOWN_INCOMPLETE',
      `Some containers could not be removed: ${errors.join('; ')}`,
    );
}

export default defineResourceManager<DockerOptions, DockerState>({
  name: 'docker',
  description: 'Components as plain Docker containers on the nodes (upstream endpoints and "mist" mode)',
  usesController: false,
  configSchema: dockerOptionsSchema,
  jsonSchema: () => z.toJSONSchema(dockerOptionsSchema, { io: 'input' }),
  validate: (ctx) => Promise.resolve(mistDiagnostics(ctx.topology)),
  plan: (ctx) =>
    Promise.resolve(
      ctx.topology.nodes
        .filter((n) => n.role !== 'cloud-controller')
        .map((n) => ({ resource: 'docker', name: n.name, details: { network: ctx.config.network } })),
    ),
  async install(ctx) {
    const nodes = targetNodes(ctx.nodes);
    const netns = nodes.filter((n) => n.access.kind === 'netns');
    if (netns.length > 0 && ctx.config.network === 'host') {
      // `--network host` would put the container in the host's namespace, outside the node's emulated links.
      throw new ContinuumError(
        'DOCKER_NETNS_NODES',
        `Nodes ${netns.map((n) => n.name).join(', ')} are network namespaces: their Docker containers would not see the emulated links.`,
        {
          hint: 'Use VM nodes (provider qemu/gcp) with the docker resource manager, or no resource manager (the built-in process runner) on the local provider.',
        },
      );
    }
    const endpoint: DockerEndpoint = { host: ctx.config.dockerHost };
    await ctx.state.set({ containers: ctx.state.get()?.containers ?? [] });
    await prepareDockerNodes(nodes, endpoint, {
      installDocker: ctx.config.installDocker,
      log: ctx.log,
      signal: ctx.signal,
    });
    // Deliver the runtime image before the benchmark clock starts.
    const delivery = createRuntimeImageDelivery({ cacheDir: ctx.workDir, endpoint, log: ctx.log });
    const tags = await Promise.all(nodes.map((n) => delivery.ensure(n)));
    const cluster: DockerCluster = {
      runner: 'docker',
      nodes: nodes.map((n) => n.name),
      image: tags[0] ?? null,
    };
    return cluster;
  },
  runner: (ctx) => dockerRunnerFor(ctx, targetNodes(ctx.nodes)),
  teardown: (ctx) => teardownContainers(ctx),
});
