import { mkdirSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import {
  abortError,
  ContinuumError,
  isContinuumError,
  processStartTime,
  runTag,
  workerNodes,
  type BenchmarkResult,
  type ComponentSpec,
  type Context,
  type Node,
  type Workload,
  type WorkloadExit,
} from '@continuum/plugin-api';
import type { Options } from './options.js';
import { PACKAGE_DIR, type ResolvedModel } from './model/resolve.js';
import {
  assignAll,
  defaultWorkerCpu,
  isServerless,
  defaultWorkerMemoryGb,
  replyTimeoutFor,
  resolveMode,
  threadsFor,
} from './plan.js';
import { parseRecords } from './protocol.js';
import {
  METRICS_TARGETS_FILE,
  metricsPortOption,
  writeMetricsTargets,
  type MetricsTarget,
} from './metrics-targets.js';
import { buildTables, type ComponentOutput } from './results/tables.js';
import { bundleCacheDir, ensureBundle, formatBytes, type Bundle, type BundleKind } from './bundle.js';
import { StateWriter, type AppState } from './state.js';

/** Where the package lands on nodes that do not see the host's filesystem (VMs). */
export const REMOTE_ROOT = '/opt/continuum/app-image-classification';
/** Components exit by themselves when a broker stays unreachable this long. */
const BROKER_LOSS_SECONDS = 5;
const READY_TIMEOUT_MS = 60_000;
/** A function pod is scheduled, gets its image and passes its readiness probe first. */
const OPENFAAS_READY_TIMEOUT_MS = 600_000;

interface Broker {
  host: string;
  port: number;
  pid?: number;
  startTime?: string;
  logFile?: string;
}

interface Running {
  kind: 'worker' | 'endpoint' | 'combined' | 'function';
  index: number;
  connectedTo?: number;
  spec: ComponentSpec;
  workload: Workload;
  exit: Promise<WorkloadExit | Error>;
}

function mqttBrokers(ctx: Context<Options, AppState>): Record<string, Broker> {
  const out = ctx.outputs.services['mqtt'];
  const brokers =
    typeof out === 'object' && out !== null && !Array.isArray(out)
      ? (out as Record<string, unknown>)['brokers']
      : undefined;
  if (typeof brokers !== 'object' || brokers === null) {
    throw new ContinuumError(
      'APP_NO_MQTT',
      'The image-classification benchmark needs MQTT brokers, but no mqtt service was installed.',
      {
        hint: 'Add the broker service to the config:\n  services:\n    - use: mqtt',
      },
    );
  }
  return brokers as Record<string, Broker>;
}

function brokerUrl(brokers: Record<string, Broker>, node: string): string {
  const b = brokers[node];
  if (b === undefined) {
    throw new ContinuumError(
      'APP_NO_BROKER',
      `Node ${node} has no MQTT broker (workers need one for requests, endpoints one for replies).`,
      {
        hint: `Brokers run on: ${Object.keys(brokers).join(', ') || 'none'}. Let the mqtt service install brokers on all nodes (services: [{use: mqtt, options: {nodes: all}}]).`,
      },
    );
  }
  return `mqtt://${b.host}:${b.port}`;
}

/** Paths and command for a component on a node, copying the app bundle where the node cannot see it. */
function placement(
  node: Node,
  model: ResolvedModel,
  entry: 'worker' | 'endpoint' | 'combined' | 'function' | 'serverless-endpoint',
  bundle: (kind: BundleKind) => Bundle,
) {
  if (node.sharesHostFilesystem) {
    return {
      command: [process.execPath, join(PACKAGE_DIR, 'dist', `${entry}.js`)],
      imagesDir: join(PACKAGE_DIR, 'assets', 'images'),
      model,
      files: [] as { from: string; to: string }[],
    };
  }
  // A self-contained copy (package, model, runtime node_modules): the node cannot resolve the
  // host's hoisted dependencies. Node.js >= 20 must be on the node's PATH (provider-qemu: hostNode).
  // Senders never classify: they get the bundle without onnxruntime, sharp and the model.
  const b = bundle(entry === 'endpoint' || entry === 'serverless-endpoint' ? 'endpoint' : 'full');
  const remoteModel = {
    ...model,
    onnxPath: `${REMOTE_ROOT}/${b.modelFile.split(sep).join('/')}`,
    labelsPath: `${REMOTE_ROOT}/${b.labelsFile.split(sep).join('/')}`,
  };
  return {
    command: ['node', `${REMOTE_ROOT}/dist/${entry}.js`],
    imagesDir: `${REMOTE_ROOT}/assets/images`,
    model: remoteModel,
    files: [{ from: b.dir, to: REMOTE_ROOT }],
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A deadline that never keeps the process alive on its own (the race it is in may finish first). */
const unrefDelay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

async function waitForReady(r: Running, signal: AbortSignal, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: WorkloadExit | Error | undefined;
  void r.exit.then((e) => (exited = e));
  while (Date.now() < deadline) {
    if (signal.aborted) throw abortError(signal);
    const lines = await r.workload.logs();
    if (lines.some((l) => l.line.includes('"type":"ready"'))) return;
    if (exited !== undefined) {
      const { records, other } = parseRecords(lines.map((l) => l.line));
      const why = records.find((x) => x.type === 'error');
      throw new ContinuumError(
        'APP_COMPONENT_FAILED',
        `${r.spec.name} on ${r.spec.node} exited before it was ready: ${why?.type === 'error' ? why.message : other.slice(-5).join(' | ') || 'no output'}`,
      );
    }
    await sleep(50);
  }
  throw new ContinuumError(
    'APP_COMPONENT_TIMEOUT',
    `${r.spec.name} on ${r.spec.node} was not ready within ${timeoutMs / 1000} s.`,
  );
}

/** Where endpoints POST: the runner's URL (the OpenFaaS gateway route), else what the function printed. */
async function functionUrl(r: Running): Promise<string> {
  const fromRunner = r.workload.ref.data['url'];
  if (typeof fromRunner === 'string' && fromRunner.length > 0) return fromRunner;
  const { records } = parseRecords((await r.workload.logs()).map((l) => l.line));
  for (const x of records) if (x.type === 'ready' && x.url !== undefined) return x.url;
  throw new ContinuumError(
    'APP_NO_FUNCTION_URL',
    `${r.spec.name} on ${r.spec.node} is ready but neither its runner (${r.workload.ref.runner}) nor the function reported an invocation URL.`,
  );
}

export async function runBenchmark(
  ctx: Context<Options, AppState>,
  model: ResolvedModel,
): Promise<BenchmarkResult> {
  const cfg = ctx.config;
  const runner = ctx.runner;
  if (runner === undefined)
    throw new ContinuumError(
      'APP_NO_RUNNER',
      'No workload runner is available for the benchmark (the core provides one).',
    );
  const serverless = isServerless(cfg.mode, runner.name, ctx.outputs.cluster);
  const mode = resolveMode(serverless ? 'serverless' : cfg.mode, ctx.topology.mode);
  const workers = workerNodes(ctx.nodes, mode);
  const endpoints = ctx.nodes.filter((n) => n.role === 'endpoint');
  if (endpoints.length === 0)
    throw new ContinuumError(
      'APP_NO_ENDPOINTS',
      'The image-classification benchmark needs at least one endpoint node.',
      { hint: 'Give the endpoint tier 1 or more nodes.' },
    );
  if (mode !== 'endpoint' && workers.length === 0) {
    throw new ContinuumError(
      'APP_NO_WORKERS',
      `Mode ${mode} needs ${mode} worker nodes, but none were provisioned.`,
      { hint: 'Add nodes to that tier or set application.options.mode: auto.' },
    );
  }
  const brokers = mode === 'endpoint' || serverless ? {} : mqttBrokers(ctx);
  const metricsBase = metricsPortOption(cfg);
  const viaOpenFaas = runner.name === 'openfaas';
  /** Component k serves its metrics at base + k on its node's address (predictable scrape targets). */
  const metricsEnv = (node: Node, k: number): Record<string, string> =>
    metricsBase === undefined
      ? {}
      : { METRICS_PORT: String(metricsBase === 0 ? 0 : metricsBase + k), METRICS_HOST: node.address };
  const tag = runTag(ctx.run.id);
  const replyTimeout = replyTimeoutFor(cfg.duration, cfg.replyTimeout);
  const writer = new StateWriter(ctx);
  const notes: string[] = [
    `model: ${model.name} (${model.inputSize}×${model.inputSize}, sha256 ${model.hash}); runtime: onnxruntime-node, one single-threaded session per worker thread`,
  ];
  const problems: string[] = [];
  const running: Running[] = [];
  // Built (or found in the cache) on first use, i.e. only when some component runs on a node that
  // does not share the host filesystem.
  const appBundles = new Map<BundleKind, Bundle>();
  const bundle = (kind: BundleKind): Bundle => {
    const cached = appBundles.get(kind);
    if (cached !== undefined) return cached;
    const b = ensureBundle({ model, cacheDir: bundleCacheDir(), kind });
    appBundles.set(kind, b);
    const what = `app bundle (${kind}) for nodes without the host filesystem: ${formatBytes(b.bytes)} in ${b.files} files, ${b.packages.length} packages (${b.built ? `built in ${Math.round(b.ms)} ms` : 'cached'}) at ${b.dir}`;
    ctx.log.info(what);
    notes.push(what);
    return b;
  };

  // Resource checks before anything starts.
  const checkCores = (key: string, node: Node, threads: number): void => {
    const cap = node.sharesHostFilesystem ? Math.min(ctx.host.cores, node.limits.cores) : node.limits.cores;
    if (threads > cap) {
      throw new ContinuumError(
        'APP_TOO_MANY_CORES',
        `application.options.${key}: ${threads} inference threads requested on ${node.name}, which has ${cap} core(s).`,
        {
          hint: `Set application.options.${key} to at most ${cap}.`,
        },
      );
    }
  };
  const tierOf = (n: Node) => ctx.topology.tiers[n.tier];
  const workerCpu = (n: Node): number => cfg.workerCpu ?? defaultWorkerCpu(tierOf(n).cores);
  const endpointCpu = (n: Node): number => cfg.endpointCpu ?? tierOf(n).cores;
  const endpointMemoryMiB = (n: Node): number =>
    Math.round((cfg.endpointMemory ?? tierOf(n).memoryMiB / 1024) * 1000);
  const labels = { 'continuum.run': tag, 'continuum.app': 'image-classification' };
  for (const w of workers) checkCores('workerCpu', w, threadsFor(workerCpu(w)));
  if (mode === 'endpoint')
    for (const e of endpoints) checkCores('endpointCpu', e, threadsFor(endpointCpu(e)));

  const start = async (
    kind: Running['kind'],
    index: number,
    spec: ComponentSpec,
    connectedTo?: number,
  ): Promise<Running> => {
    await writer.update(
      (s) =>
        void s.components.push({ name: spec.name, node: spec.node, runner: runner.name, status: 'starting' }),
    );
    announceMetrics(spec);
    const workload = await runner.run(spec, { signal: ctx.signal });
    const pid = workload.ref.data['pid'];
    const node = ctx.nodes.find((n) => n.name === spec.node);
    await writer.update((s) => {
      const rec = s.components.find((c) => c.name === spec.name);
      if (rec === undefined) return;
      rec.status = 'running';
      if (typeof pid === 'number') {
        rec.pid = pid;
        const st = node?.sharesHostFilesystem ? processStartTime(pid) : undefined;
        if (st !== undefined) rec.startTime = st;
      }
    });
    const exit = workload.wait().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    const r: Running = {
      kind,
      index,
      spec,
      workload,
      exit,
      ...(connectedTo !== undefined ? { connectedTo } : {}),
    };
    running.push(r);
    return r;
  };

  // Write-ahead scrape targets: a fixed metrics port is known before the component starts, so a
  // Prometheus watching the file_sd file scrapes from the first second (port 0: known at the end).
  const announced: MetricsTarget[] = [];
  const announceMetrics = (spec: ComponentSpec): void => {
    const port = spec.env?.['METRICS_PORT'];
    const host = spec.env?.['METRICS_HOST'];
    if (port === undefined || port === '0' || host === undefined || host === '0.0.0.0') return;
    const shown = host.includes(':') ? `[${host}]` : host;
    announced.push({ component: spec.name, node: spec.node, url: `http://${shown}:${port}/metrics` });
    writeMetricsTargets(ctx.run.dir, announced);
  };

  const stopAll = async (): Promise<void> => {
    await Promise.all(running.map((r) => r.workload.stop().catch(() => undefined)));
  };

  // Broker liveness, polled by PID (cheap): a dead broker becomes a recorded problem right away.
  const brokerNodes = new Set<string>();
  const watch = setInterval(() => {
    for (const name of brokerNodes) {
      const b = brokers[name];
      const node = ctx.nodes.find((n) => n.name === name);
      if (b?.pid === undefined || node === undefined) continue;
      void node
        .isRunning({
          node: name,
          pid: b.pid,
          ...(b.startTime !== undefined ? { startTime: b.startTime } : {}),
          logFile: b.logFile ?? '',
          command: [],
        })
        .then((alive) => {
          if (!alive && brokerNodes.delete(name))
            problems.push(
              `MQTT broker on ${name} (pid ${b.pid}) died during the benchmark${b.logFile ? `; see ${b.logFile}` : ''}.`,
            );
        })
        .catch(() => undefined);
    }
  }, 500);
  watch.unref();

  /**
   * Serverless: one function per cloud worker node (the openfaas runner deploys it behind the
   * gateway; the process runner starts it as a plain HTTP server), then the endpoints POST to it.
   */
  const startServerless = async (): Promise<void> => {
    if (cfg.perWorker > 1)
      notes.push(`serverless: one function per worker node (perWorker ${cfg.perWorker} ignored)`);
    const assignment = assignAll(endpoints.length, workers.length);
    const idle = workers.map((_, i) => i).filter((i) => !assignment.includes(i));
    if (idle.length > 0)
      notes.push(
        `worker(s) ${idle.join(', ')} got no endpoint (more workers than endpoints) and were not started`,
      );
    ctx.log.progress(`starting ${workers.length - idle.length} function(s)`);
    const functions = await Promise.all(
      workers.map(async (node, i) => {
        if (idle.includes(i)) return undefined;
        const p = placement(node, model, 'function', bundle);
        const cpu = workerCpu(node);
        return start('function', i, {
          name: `function${i}`,
          node: node.name,
          command: p.command,
          env: {
            WORKER_ID: `cloud${i}`,
            CPU_THREADS: String(threadsFor(cpu)),
            MODEL_JSON: JSON.stringify(p.model),
            // rm-openfaas routes the gateway to :8080 in the pod; elsewhere a free port on the node.
            PORT: viaOpenFaas ? '8080' : '0',
            HOST: viaOpenFaas ? '0.0.0.0' : node.address,
            MAX_SECONDS: String(cfg.duration + replyTimeout + 600),
            // Behind the gateway the pod's ports are not reachable: serve /metrics on the function itself.
            ...(viaOpenFaas
              ? metricsBase === undefined
                ? {}
                : { METRICS_INLINE: '1' }
              : metricsEnv(node, i)),
          },
          cpu,
          memoryMiB: Math.round((cfg.workerMemory ?? defaultWorkerMemoryGb(tierOf(node).memoryMiB)) * 1000),
          files: p.files,
          labels,
        });
      }),
    );
    const urls: string[] = [];
    await Promise.all(
      functions.map(async (r, i) => {
        if (r === undefined) return;
        await waitForReady(r, ctx.signal, viaOpenFaas ? OPENFAAS_READY_TIMEOUT_MS : READY_TIMEOUT_MS);
        urls[i] = await functionUrl(r);
      }),
    );
    ctx.log.progress(
      `starting ${endpoints.length} endpoint(s): ${cfg.frequency} images/s for ${cfg.duration} s each, HTTP to ${[...new Set(urls)].join(', ')}`,
    );
    await Promise.all(
      endpoints.map((e, j) => {
        const w = assignment[j] as number;
        const p = placement(e, model, 'serverless-endpoint', bundle);
        const name = `cloud${w}_endpoint${j}`;
        return start(
          'endpoint',
          j,
          {
            name,
            node: e.name,
            command: p.command,
            env: {
              ENDPOINT_ID: name,
              FREQUENCY: String(cfg.frequency),
              DURATION: String(cfg.duration),
              FUNCTION_URL: urls[w] as string,
              REQUEST_TIMEOUT: String(replyTimeout),
              FUNCTION_LOSS_SECONDS: String(BROKER_LOSS_SECONDS),
              IMAGES_DIR: p.imagesDir,
              ...metricsEnv(e, workers.length + j),
            },
            cpu: endpointCpu(e),
            memoryMiB: endpointMemoryMiB(e),
            files: p.files,
            labels,
          },
          w,
        );
      }),
    );
  };

  try {
    if (serverless) {
      await startServerless();
    } else if (mode === 'endpoint') {
      ctx.log.progress(`starting ${endpoints.length} endpoint(s) with local processing`);
      await Promise.all(
        endpoints.map((e, j) => {
          const p = placement(e, model, 'combined', bundle);
          return start('combined', j, {
            name: `endpoint${j}`,
            node: e.name,
            command: p.command,
            env: {
              ENDPOINT_ID: `endpoint${j}`,
              FREQUENCY: String(cfg.frequency),
              DURATION: String(cfg.duration),
              CPU_THREADS: String(threadsFor(endpointCpu(e))),
              REPLY_TIMEOUT: String(replyTimeout),
              MODEL_JSON: JSON.stringify(p.model),
              IMAGES_DIR: p.imagesDir,
              ...metricsEnv(e, j),
            },
            cpu: endpointCpu(e),
            memoryMiB: endpointMemoryMiB(e),
            files: p.files,
            labels,
          });
        }),
      );
    } else {
      const replicas = workers.flatMap((node) => Array.from({ length: cfg.perWorker }, () => node));
      const assignment = assignAll(endpoints.length, replicas.length);
      const idle = replicas.map((_, i) => i).filter((i) => !assignment.includes(i));
      if (idle.length > 0)
        notes.push(
          `worker(s) ${idle.join(', ')} got no endpoint (more workers than endpoints) and were not started`,
        );
      const topicOf = (i: number): string => `continuum/${tag}/image-classification-sub/${i}`;
      ctx.log.progress(`starting ${replicas.length - idle.length} worker(s)`);
      const workerRuns = await Promise.all(
        replicas.map(async (node, i) => {
          if (idle.includes(i)) return undefined;
          brokerNodes.add(node.name);
          const p = placement(node, model, 'worker', bundle);
          const cpu = workerCpu(node);
          return start('worker', i, {
            name: `worker${i}`,
            node: node.name,
            command: p.command,
            env: {
              WORKER_ID: `${mode}${i}`,
              MQTT_LOCAL_URL: brokerUrl(brokers, node.name),
              MQTT_TOPIC: topicOf(i),
              ENDPOINT_CONNECTED: String(assignment.filter((w) => w === i).length),
              CPU_THREADS: String(threadsFor(cpu)),
              MODEL_JSON: JSON.stringify(p.model),
              BROKER_LOSS_SECONDS: String(BROKER_LOSS_SECONDS),
              MAX_SECONDS: String(cfg.duration + replyTimeout + 120),
              ...metricsEnv(node, i),
            },
            cpu,
            memoryMiB: Math.round((cfg.workerMemory ?? defaultWorkerMemoryGb(tierOf(node).memoryMiB)) * 1000),
            files: p.files,
            labels,
          });
        }),
      );
      await Promise.all(workerRuns.filter((r) => r !== undefined).map((r) => waitForReady(r, ctx.signal)));
      ctx.log.progress(
        `starting ${endpoints.length} endpoint(s): ${cfg.frequency} images/s for ${cfg.duration} s each`,
      );
      await Promise.all(
        endpoints.map((e, j) => {
          const w = assignment[j] as number;
          const workerNode = replicas[w] as Node;
          brokerNodes.add(e.name);
          const p = placement(e, model, 'endpoint', bundle);
          const name = `${mode}${w}_endpoint${j}`;
          return start(
            'endpoint',
            j,
            {
              name,
              node: e.name,
              command: p.command,
              env: {
                ENDPOINT_ID: name,
                FREQUENCY: String(cfg.frequency),
                DURATION: String(cfg.duration),
                MQTT_LOCAL_URL: brokerUrl(brokers, e.name),
                MQTT_REMOTE_URL: brokerUrl(brokers, workerNode.name),
                MQTT_TOPIC: topicOf(w),
                REPLY_TOPIC: `continuum/${tag}/image-classification-pub/${name}`,
                REPLY_TIMEOUT: String(replyTimeout),
                BROKER_LOSS_SECONDS: String(BROKER_LOSS_SECONDS),
                IMAGES_DIR: p.imagesDir,
                ...metricsEnv(e, replicas.length + j),
              },
              cpu: endpointCpu(e),
              memoryMiB: endpointMemoryMiB(e),
              files: p.files,
              labels,
            },
            w,
          );
        }),
      );
    }

    // Bounded waits: generation + reply timeout + slack; a failed worker stops its endpoints early.
    // Serverless endpoints slow down instead of queueing when the function is slower than the
    // frame period, so they get the generation time once more.
    const budgetMs = (cfg.duration * (serverless ? 2 : 1) + replyTimeout + 30) * 1000;
    const deadline = Date.now() + budgetMs;
    const endpointRuns = running.filter((r) => r.kind === 'endpoint' || r.kind === 'combined');
    const workerRuns = running.filter((r) => r.kind === 'worker' || r.kind === 'function');
    const functionRuns = running.filter((r) => r.kind === 'function');
    for (const w of workerRuns) {
      void w.exit.then(async (e) => {
        if (e instanceof Error || e.phase === 'failed') {
          for (const r of endpointRuns.filter((x) => x.connectedTo === w.index))
            await r.workload.stop().catch(() => undefined);
        }
      });
    }
    const aborted = new Promise<'aborted'>((resolve) => {
      if (ctx.signal.aborted) resolve('aborted');
      ctx.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const waitAll = async (runs: Running[], untilMs: number): Promise<void> => {
      for (const r of runs) {
        const left = untilMs - Date.now();
        const result = await Promise.race([
          r.exit,
          aborted,
          unrefDelay(Math.max(0, left)).then(() => 'timeout' as const),
        ]);
        if (result === 'aborted') {
          await stopAll();
          throw abortError(ctx.signal);
        }
        if (result === 'timeout') {
          problems.push(
            `${r.spec.name} on ${r.spec.node} did not finish within ${Math.round(budgetMs / 1000)} s and was stopped.`,
          );
          await r.workload.stop().catch(() => undefined);
        }
      }
    };
    await waitAll(endpointRuns, deadline);
    // A function serves until it is stopped: stop it once its endpoints are done.
    await Promise.all(functionRuns.map((r) => r.workload.stop().catch(() => undefined)));
    await waitAll(workerRuns, Math.max(deadline, Date.now() + 15_000));
  } catch (error) {
    await stopAll();
    if (isContinuumError(error) && error.code === 'ABORTED') throw error;
    if (running.length === 0) throw error;
    problems.push(error instanceof Error ? error.message : String(error));
  } finally {
    clearInterval(watch);
  }

  // Collect: raw records per component (artifacts), then upstream's tables.
  const rawDir = join(ctx.run.dir, 'raw');
  mkdirSync(rawDir, { recursive: true });
  const outputs: ComponentOutput[] = [];
  const artifacts: { path: string; description: string }[] = [];
  const metricsTargets: MetricsTarget[] = [];
  for (const r of running) {
    const lines = await r.workload.logs();
    const { records, other } = parseRecords(lines.filter((l) => l.stream === 'stdout').map((l) => l.line));
    const stderr = lines.filter((l) => l.stream === 'stderr').map((l) => l.line);
    writeFileSync(
      join(rawDir, `${r.spec.name}.jsonl`),
      records.map((x) => JSON.stringify(x)).join('\n') + (records.length ? '\n' : ''),
    );
    artifacts.push({
      path: `raw/${r.spec.name}.jsonl`,
      description: `per-message timings of ${r.spec.name} on ${r.spec.node}`,
    });
    const exit = await Promise.race([r.exit, sleep(100).then(() => undefined)]);
    const failed =
      exit === undefined
        ? undefined
        : exit instanceof Error
          ? exit.message
          : exit.phase === 'failed'
            ? (exit.reason ?? 'failed')
            : undefined;
    const errorRecord = records.find((x) => x.type === 'error');
    if (failed !== undefined || errorRecord !== undefined) {
      const why =
        errorRecord?.type === 'error' ? errorRecord.message : [...other, ...stderr].slice(-3).join(' | ');
      problems.push(`${r.spec.name} on ${r.spec.node} failed (${failed ?? 'error'}): ${why}`);
    }
    const end = records.find((x) => x.type === 'end');
    if (end?.type === 'end' && end.lost > 0)
      problems.push(
        serverless
          ? `${r.spec.name}: ${end.lost} of ${end.sent} requests to the function failed (see raw/${r.spec.name}.jsonl).`
          : `${r.spec.name}: ${end.lost} of ${end.sent} images got no reply within ${replyTimeout} s.`,
      );
    for (const ready of records)
      if (ready.type === 'ready' && ready.metricsUrl !== undefined)
        metricsTargets.push({ component: r.spec.name, node: r.spec.node, url: ready.metricsUrl });
    const routed = r.workload.ref.data['url'];
    if (r.kind === 'function' && r.spec.env?.['METRICS_INLINE'] === '1' && typeof routed === 'string')
      metricsTargets.push({
        component: r.spec.name,
        node: r.spec.node,
        url: `${routed.replace(/\/$/, '')}/metrics`,
      });
    outputs.push({
      name: r.spec.name,
      kind: r.kind,
      index: r.index,
      ...(r.connectedTo !== undefined ? { connectedTo: r.connectedTo } : {}),
      records,
    });
  }
  await writer.update((s) => {
    for (const c of s.components) c.status = 'done';
  });

  const built = buildTables(mode, outputs, { serverless });
  if (metricsBase !== undefined) {
    writeMetricsTargets(ctx.run.dir, metricsTargets);
    artifacts.push({
      path: METRICS_TARGETS_FILE,
      description: 'prom-client scrape targets of the components (Prometheus file_sd format)',
    });
    notes.push(
      `prom-client metrics were served by ${metricsTargets.length} component(s): ${metricsTargets.map((t) => t.url).join(', ') || 'none'}`,
    );
  }
  const behind = Number(built.summary['cant_keep_up'] ?? 0);
  if (behind > 0)
    ctx.log.warn(`Can't keep up: endpoints fell behind ${cfg.frequency} images/s ${behind} time(s)`);
  const gathered = Number(built.summary['images_replied'] ?? 0) > 0;
  const status: BenchmarkResult['status'] = problems.length === 0 ? 'ok' : gathered ? 'partial' : 'failed';
  notes.push(...built.notes);
  if (ctx.nodes.some((n) => !n.sharesHostFilesystem)) {
    notes.push(
      "Latency crosses machines: it assumes the nodes' clocks are synchronised (as upstream does); on VMs without NTP, skew shows up in delay/latency.",
    );
  }
  return {
    status,
    tables: built.tables,
    summary: {
      ...built.summary,
      frequency: cfg.frequency,
      duration: cfg.duration,
      model: model.name,
      ...(serverless ? { execution: 'serverless' } : {}),
      ...(metricsBase !== undefined ? { metrics_targets: metricsTargets.map((t) => t.url).join(',') } : {}),
    },
    series: built.series,
    artifacts,
    notes,
    ...(problems.length > 0 ? { problems } : {}),
  };
}
