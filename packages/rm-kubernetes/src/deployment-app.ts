import { join, relative } from 'node:path';
import { z } from 'zod';
import {
  ContinuumError,
  defineApplication,
  type BenchmarkResult,
  type ResultTable,
} from '@continuum/plugin-api';
import {
  DEPLOYMENT_METHODS,
  PHASES,
  TIMING_COLUMNS,
  timingRows,
  type DeploymentMethod,
} from './deploy-bench.js';
import { runDeploymentBenchmark } from './deploy-run.js';
import { connect } from './k8s.js';

/**
 * Upstream's `empty` application with kubecontrol (continuum-upstream.md §5.3) as a config-selectable
 * benchmark: N sleeping pods per submission method, per-pod phase breakdown from the API.
 */
export const deploymentOptionsSchema = z
  .object({
    method: z.enum([...DEPLOYMENT_METHODS, 'all']).default('pod'),
    replicas: z.number().int().min(1).max(1000).default(10),
    sleepSeconds: z.number().int().min(1).default(30),
    /** Upstream's cache run: one unmeasured deployment first, so image and pod setup are warm. */
    cacheRun: z.boolean().default(true),
    timeoutSeconds: z.number().int().min(10).default(600),
    cpu: z.number().positive().default(0.1),
    memoryMiB: z.number().int().min(8).default(32),
  })
  .strict();
export type DeploymentAppOptions = z.output<typeof deploymentOptionsSchema>;

interface ClusterShape {
  kubeconfig?: string;
  apiServer?: string;
  namespace?: string;
  runtimeImage?: string | null;
}

export default defineApplication<DeploymentAppOptions, Record<string, never>>({
  name: 'deployment-benchmark',
  description:
    'Control-plane deployment benchmark (upstream kubecontrol + empty): per-pod phase timings for the pod/container/file/call methods',
  configSchema: deploymentOptionsSchema,
  jsonSchema: () => z.toJSONSchema(deploymentOptionsSchema, { io: 'input' }),
  async benchmark(ctx): Promise<BenchmarkResult> {
    const cluster = (ctx.outputs.cluster ?? {}) as ClusterShape;
    if (cluster.kubeconfig === undefined || cluster.runtimeImage == null) {
      throw new ContinuumError(
        'DEPLOYMENT_NEEDS_KUBERNETES',
        'The deployment-benchmark application needs a Kubernetes cluster installed by this run.',
        {
          hint: 'Select resourceManager: { use: kubernetes } (upstream used kubecontrol for this benchmark).',
        },
      );
    }
    const client = await connect(
      cluster.kubeconfig,
      cluster.apiServer !== undefined ? { server: cluster.apiServer } : {},
    );
    const base = {
      replicas: ctx.config.replicas,
      sleepSeconds: ctx.config.sleepSeconds,
      image: cluster.runtimeImage,
      nodeBinary: process.execPath,
      namespace: cluster.namespace ?? 'default',
      runId: ctx.run.id,
      cpu: ctx.config.cpu,
      memoryMiB: ctx.config.memoryMiB,
    };
    const out = {
      dir: join(ctx.run.dir, 'deployment'),
      log: ctx.log,
      timeoutMs: ctx.config.timeoutSeconds * 1000,
    };
    if (ctx.config.cacheRun) {
      ctx.log.progress('deployment benchmark: cache run');
      await runDeploymentBenchmark(
        client,
        { ...base, method: 'pod', replicas: 1, sleepSeconds: 1, benchId: 'cache' },
        { ...out, dir: join(out.dir, 'cache') },
      );
    }
    const methods: DeploymentMethod[] =
      ctx.config.method === 'all' ? [...DEPLOYMENT_METHODS] : [ctx.config.method];
    const tables: ResultTable[] = [];
    const summary: BenchmarkResult['summary'] = {};
    const artifacts: NonNullable<BenchmarkResult['artifacts']> = [];
    const notes: string[] = [];
    const problems: string[] = [];
    for (const method of methods) {
      ctx.log.progress(`deployment benchmark: ${ctx.config.replicas} pods by ${method}`);
      try {
        const r = await runDeploymentBenchmark(
          client,
          { ...base, method, benchId: `${method}-${Date.now().toString(36)}` },
          out,
        );
        tables.push({
          id: `deployment_${method}`,
          title: `DEPLOYMENT BREAKDOWN (${method}, ${ctx.config.replicas} pods)`,
          columns: [...TIMING_COLUMNS],
          rows: timingRows(r.rows).map((row) =>
            row.map((c, i) => (i < 2 || c === '' ? c || null : Number(c))),
          ),
        });
        summary[`${method}_deployed`] = r.summary.deployed;
        summary[`${method}_makespan_s`] = r.summary.makespan ?? null;
        for (const p of PHASES) summary[`${method}_mean_${p.key}_s`] = r.summary.meanPhase[p.key] ?? null;
        artifacts.push(
          { path: relative(ctx.run.dir, r.files.csv), description: `per-pod timings (${method})` },
          { path: relative(ctx.run.dir, r.files.svg), description: `phase breakdown plot (${method})` },
        );
        notes.push(...r.warnings);
        if (r.summary.deployed < r.summary.pods)
          problems.push(
            `${method}: only ${r.summary.deployed}/${r.summary.pods} instances logged their start`,
          );
      } catch (error) {
        problems.push(`${method}: ${(error as Error).message}`);
      }
    }
    notes.push(
      'Phase times come from API timestamps (whole seconds), scheduler events (microseconds), our API polling (ms) and the container runtime log stamps (ns); no patched binaries.',
    );
    return {
      status: problems.length === 0 ? 'ok' : tables.length > 0 ? 'partial' : 'failed',
      tables,
      summary,
      artifacts,
      notes,
      ...(problems.length > 0 ? { problems } : {}),
    };
  },
  teardown: () => Promise.resolve(),
});
