import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ContinuumError, defineResourceManager, type ComponentSpec } from '@continuum/plugin-api';
import { dockerRunnerFor } from '@continuum/rm-docker';
import {
  PINNED,
  ansibleDiagnostics,
  connect,
  controllerOf,
  countsOf,
  createContainerdImageDelivery,
  createRenderer,
  createSplitRunner,
  installCluster,
  kubeBaseShape,
  kubernetesDiagnostics,
  kubernetesPlan,
  runPlaybook,
  syntaxCheck,
  teardownCluster,
  updateState,
  validateManifests,
  type KubeCluster,
  type KubeClient,
  type KubeState,
} from '@continuum/rm-kubernetes';
import { createFunctionRunner } from './function-runner.js';
import { FUNCTION_NAMESPACE, GATEWAY_NODE_PORT, OPENFAAS_NAMESPACE, gatewayManifests } from './manifests.js';

export * from './manifests.js';
export { createFunctionRunner } from './function-runner.js';

export const OPENFAAS_TEMPLATES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'templates');

export const openfaasOptionsSchema = z
  .object({
    ...kubeBaseShape,
    /** Function name endpoints invoke at /function/<name>; upstream used `image` for image-classification. */
    functionName: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .default('image'),
    rolloutTimeoutSeconds: z.number().int().min(10).default(600),
  })
  .strict();
export type OpenFaasOptions = z.output<typeof openfaasOptionsSchema>;

/** Renders the gateway manifests (validated) and the playbook that applies them. */
export async function renderOpenFaas(o: {
  runId: string;
  outDir: string;
  password: string;
  rolloutTimeoutSeconds: number;
}): Promise<{ manifestFile: string; playbook: string; objects: Record<string, unknown>[] }> {
  const objects = gatewayManifests({
    runId: o.runId,
    passwordBase64: Buffer.from(o.password).toString('base64'),
  });
  await validateManifests(objects);
  const manifestFile = join(o.outDir, 'openfaas.yaml');
  writeFileSync(manifestFile, objects.map((x) => stringify(x)).join('---\n'), { mode: 0o600 });
  const render = await createRenderer([join(OPENFAAS_TEMPLATES, 'ansible')]);
  const playbook = join(o.outDir, 'openfaas_install.yml');
  writeFileSync(
    playbook,
    render('openfaas_install.yml.njk', {
      manifestFile,
      faasNetesImage: PINNED.openfaas.faasNetes,
      rolloutTimeoutSeconds: o.rolloutTimeoutSeconds,
    }),
  );
  return { manifestFile, playbook, objects };
}

export interface OpenFaasCluster extends KubeCluster {
  gateway: { url: string; functionUrlTemplate: string; user: string; passwordFile: string };
}

export default defineResourceManager<OpenFaasOptions, KubeState>({
  name: 'openfaas',
  description:
    'OpenFaaS CE (gateway + faas-netes) on Kubernetes: workers as functions invoked over HTTP (upstream serverless mode)',
  usesController: true,
  configSchema: openfaasOptionsSchema,
  jsonSchema: () => z.toJSONSchema(openfaasOptionsSchema, { io: 'input' }),
  validate: (ctx) =>
    Promise.resolve([...kubernetesDiagnostics(countsOf(ctx.topology), 'openfaas'), ...ansibleDiagnostics()]),
  plan: (ctx) =>
    Promise.resolve([
      ...kubernetesPlan(ctx.topology, ctx.config, 'openfaas'),
      {
        resource: 'openfaas-gateway',
        name: `${OPENFAAS_NAMESPACE}/gateway`,
        details: { nodePort: GATEWAY_NODE_PORT },
      },
    ]),
  async install(ctx) {
    const controller = controllerOf(ctx);
    const workers = ctx.nodes.filter((n) => n.role === 'cloud');
    if (workers.length === 0) {
      throw new ContinuumError(
        'OPENFAAS_NO_WORKERS',
        'OpenFaaS needs at least one cloud worker besides the controller.',
        { hint: 'Set infrastructure.cloud.nodes to 2 or more.' },
      );
    }
    const password = randomBytes(18).toString('base64url');
    const passwordFile = join(ctx.workDir, 'openfaas-password');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const cluster = await installCluster(
      ctx,
      {
        controller,
        kubeadmWorkers: workers,
        readyNodes: [controller, ...workers],
        endpoints: ctx.nodes.filter((n) => n.role === 'endpoint'),
        applyCni: true,
      },
      'openfaas',
    );
    await updateState(ctx, { namespaces: [FUNCTION_NAMESPACE, OPENFAAS_NAMESPACE] });
    const rendered = await renderOpenFaas({
      runId: ctx.run.id,
      outDir: join(ctx.workDir, 'ansible'),
      password,
      rolloutTimeoutSeconds: ctx.config.rolloutTimeoutSeconds,
    });
    const inventory = join(ctx.workDir, 'ansible', 'inventory.ini');
    const check = await syntaxCheck(rendered.playbook, inventory);
    if (!check.ok)
      throw new ContinuumError(
        'ANSIBLE_SYNTAX',
        `Rendered ${rendered.playbook} fails --syntax-check: ${check.output.slice(0, 1000)}`,
      );
    await runPlaybook({
      playbook: rendered.playbook,
      inventory,
      log: ctx.log,
      logFile: join(ctx.run.dir, 'logs', 'ansible-openfaas.log'),
      signal: ctx.signal,
    });
    // Any node answers on the NodePort; the first worker is where upstream's functions ran.
    const url = `http://${(workers[0] ?? controller).address}:${GATEWAY_NODE_PORT}`;
    const out: OpenFaasCluster = {
      ...cluster,
      gateway: { url, functionUrlTemplate: `${url}/function/{name}`, user: 'admin', passwordFile },
    };
    return out;
  },
  runner(ctx, clusterJson) {
    const cluster = clusterJson as unknown as OpenFaasCluster;
    const workers = ctx.nodes.filter((n) => n.role === 'cloud');
    const endpoints = ctx.nodes.filter((n) => n.role === 'endpoint');
    let client: Promise<KubeClient> | undefined;
    const images = createContainerdImageDelivery({ cacheDir: ctx.workDir, log: ctx.log });
    const functions = createFunctionRunner({
      client: () => (client ??= connect(cluster.kubeconfig, { server: cluster.apiServer })),
      runId: ctx.run.id,
      nodes: workers,
      logDir: join(ctx.run.dir, 'logs'),
      ensureImage: (n) => images.ensure(n),
      gatewayUrl: cluster.gateway.url,
      // One function per worker node: the first keeps upstream's name, the others get a suffix.
      functionName: (spec: ComponentSpec) => {
        const i = workers.findIndex((w) => w.name === spec.node);
        return i <= 0 ? ctx.config.functionName : `${ctx.config.functionName}-${i}`;
      },
      startTimeoutMs: ctx.config.startTimeoutSeconds * 1000,
    });
    const dockerCtx = { ...ctx, config: ctx.config.docker } as unknown as Parameters<
      typeof dockerRunnerFor
    >[0];
    const names = new Set(endpoints.map((n) => n.name));
    return createSplitRunner(functions, dockerRunnerFor(dockerCtx, endpoints), (n) => names.has(n));
  },
  teardown: (ctx) => teardownCluster(ctx),
});
