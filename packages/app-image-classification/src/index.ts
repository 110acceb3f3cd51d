import { dirname } from 'node:path';
import {
  ContinuumError,
  defineApplication,
  type BenchmarkResult,
  type Context,
  type Diagnostic,
  type PlanItem,
} from '@continuum/plugin-api';
import { optionsSchema, type Options } from './options.js';
import { resolveModel, type ResolvedModel } from './model/resolve.js';
import { defaultWorkerCpu, isServerless, resolveMode, threadsFor } from './plan.js';
import { runBenchmark } from './benchmark.js';
import { stopRecordedComponents, type AppState } from './state.js';

export type { Options } from './options.js';
export type { AppState } from './state.js';

function configDir(ctx: Context<Options, AppState>): string {
  return ctx.run.configPath !== undefined ? dirname(ctx.run.configPath) : process.cwd();
}

export function modelFor(ctx: Context<Options, AppState>): ResolvedModel {
  return resolveModel(ctx.config.model, configDir(ctx));
}

export default defineApplication<Options, AppState>({
  name: 'image-classification',
  description:
    'Camera endpoints send JPEGs over MQTT to workers that classify them with MobileNetV2 on onnxruntime (upstream image_classification)',
  configSchema: optionsSchema,
  jsonSchema: () => ({
    type: 'object',
    additionalProperties: false,
    required: ['frequency'],
    properties: {
      frequency: { type: 'integer', minimum: 1, description: 'images per second per endpoint' },
      duration: { type: 'integer', minimum: 1, default: 300, description: 'seconds of image generation' },
      mode: {
        enum: ['auto', 'cloud', 'edge', 'endpoint', 'serverless'],
        default: 'auto',
        description: 'serverless: functions invoked over HTTP (auto under resourceManager openfaas)',
      },
      model: {
        oneOf: [
          { enum: ['mobilenet-v2', 'inception-v3'] },
          {
            type: 'object',
            required: ['onnx', 'labels'],
            additionalProperties: false,
            properties: {
              onnx: { type: 'string' },
              labels: { type: 'string' },
              inputSize: { type: 'integer' },
              layout: { enum: ['nhwc', 'nchw'] },
              mean: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
              std: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
            },
          },
        ],
      },
      workerCpu: { type: 'number', minimum: 0.001 },
      workerMemory: { type: 'number', minimum: 0.001, description: 'GB' },
      endpointCpu: { type: 'number', minimum: 0.001 },
      endpointMemory: { type: 'number', minimum: 0.001, description: 'GB' },
      perWorker: { type: 'integer', minimum: 1, default: 1 },
      replyTimeout: { type: 'integer', minimum: 1, description: 'seconds to wait for outstanding replies' },
      metrics: {
        type: 'object',
        additionalProperties: false,
        description: 'prom-client /metrics on every component (component k at port + k; 0: free ports)',
        properties: { port: { type: 'integer', minimum: 0, maximum: 65535, default: 9464 } },
      },
    },
  }),
  stateVersion: 1,

  validate(ctx) {
    const issues: Diagnostic[] = [];
    const mode = resolveMode(ctx.config.mode, ctx.topology.mode);
    const checkCpu = (key: 'workerCpu' | 'endpointCpu', value: number | undefined): void => {
      if (value !== undefined && threadsFor(value) > ctx.host.cores && ctx.host.platform === 'linux') {
        issues.push({
          severity: 'error',
          path: `application.options.${key}`,
          message: `${key} ${value} asks for ${threadsFor(value)} inference threads, but this host has ${ctx.host.cores} cores.`,
          hint: `Use at most ${ctx.host.cores}.`,
        });
      }
    };
    checkCpu('workerCpu', ctx.config.workerCpu);
    if (ctx.config.workerCpu === undefined && mode !== 'endpoint') {
      const threads = threadsFor(defaultWorkerCpu(ctx.topology.tiers[mode].cores));
      if (threads > ctx.host.cores) {
        issues.push({
          severity: 'warning',
          path: 'application.options.workerCpu',
          message: `The default workerCpu (${mode} cores - 0.5) gives ${threads} inference threads, more than this host's ${ctx.host.cores} cores; on nodes that share the host this fails at benchmark time.`,
          hint: `Set application.options.workerCpu to at most ${ctx.host.cores}, or lower infrastructure.${mode}.cores.`,
        });
      }
    }
    checkCpu('endpointCpu', ctx.config.endpointCpu);
    if (mode !== 'endpoint' && ctx.topology.nodes.every((n) => n.role !== mode)) {
      issues.push({
        severity: 'error',
        path: 'application.options.mode',
        message: `Mode ${mode} needs ${mode} worker nodes, but the infrastructure has none.`,
        hint: `Add ${mode} nodes, or set mode: auto.`,
      });
    }
    if (!ctx.topology.nodes.some((n) => n.role === 'endpoint')) {
      issues.push({
        severity: 'error',
        path: 'infrastructure',
        message: 'The image-classification benchmark needs at least one endpoint node.',
        hint: 'Set the endpoint tier to 1 or more nodes.',
      });
    }
    const model = ctx.config.model;
    if (typeof model === 'object') {
      try {
        resolveModel(model, configDir(ctx));
      } catch (error) {
        if (error instanceof ContinuumError) {
          const path = (error.details?.['path'] as string | undefined) ?? 'application.options.model';
          issues.push({
            severity: 'error',
            path,
            message: error.message.startsWith(`${path}: `)
              ? error.message.slice(path.length + 2)
              : error.message,
            ...(error.hint !== undefined ? { hint: error.hint } : {}),
          });
        } else throw error;
      }
    }
    return Promise.resolve(issues);
  },

  plan(ctx) {
    const serverless = isServerless(ctx.config.mode, ctx.runner?.name, ctx.outputs.cluster);
    const mode = resolveMode(serverless ? 'serverless' : ctx.config.mode, ctx.topology.mode);
    const items: PlanItem[] = [];
    const endpoints = ctx.topology.nodes.filter((n) => n.role === 'endpoint');
    if (serverless) {
      for (const n of ctx.topology.nodes.filter((x) => x.role === 'cloud'))
        items.push({
          resource: 'function',
          name: `image-classification function on ${n.name}`,
          details: { http: true },
        });
    } else if (mode !== 'endpoint') {
      for (const n of ctx.topology.nodes.filter((x) => x.role === mode)) {
        for (let r = 0; r < ctx.config.perWorker; r++)
          items.push({ resource: 'process', name: `worker on ${n.name}`, details: { mode } });
      }
    }
    for (const n of endpoints) {
      items.push({
        resource: 'process',
        name: `${mode === 'endpoint' ? 'endpoint (local processing)' : 'endpoint'} on ${n.name}`,
        details: { frequency: ctx.config.frequency, duration: ctx.config.duration },
      });
    }
    return Promise.resolve(items);
  },

  async deploy(ctx) {
    ctx.log.progress('preparing the classification model');
    const started = performance.now();
    const model = modelFor(ctx);
    ctx.log.info(
      `model ${model.name} ready at ${model.onnxPath} (${Math.round(performance.now() - started)} ms)`,
    );
    await ctx.state.set({ ...(ctx.state.get() ?? { components: [] }), model });
  },

  benchmark: (ctx): Promise<BenchmarkResult> => runBenchmark(ctx, modelFor(ctx)),

  async teardown(ctx) {
    await stopRecordedComponents(ctx);
  },
});
