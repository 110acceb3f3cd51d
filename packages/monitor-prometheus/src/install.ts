import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Json, Node } from '@continuum/plugin-api';
import { ContinuumError, runTag } from '@continuum/plugin-api';
import type { CgroupSource } from './cgroup-stats.js';
import {
  freePort,
  isDaemonRunning,
  portIsFree,
  startDaemon,
  stopDaemon,
  waitHttpReady,
} from '@continuum/plugin-api';
import { grafanaHowTo, writeGrafanaProvisioning } from './grafana.js';
import { credentialsFromKubeconfig, kubeObservability, kubeScrapeJobs } from './kubernetes.js';
import type { PrometheusOptions } from './options.js';
import { resolveOptions } from './options.js';
import { prometheusCommand, prometheusConfig, type ScrapeJob } from './prometheus-config.js';
import { emptyState, type PrometheusState } from './state.js';

export type Ctx = Context<PrometheusOptions, PrometheusState>;

export interface PrometheusOutput {
  prometheusUrl: string | null;
  samplerUrl: string;
  samplesFile: string;
  grafana: { provisioningDir: string; url: string | null; howTo: string | null };
  nodeExporterTargets: string[];
  notes: string[];
}

/** The sampler's entry: next to this module in dist/ (tests importing src/ fall back to dist/). */
export function samplerMain(): string {
  const here = fileURLToPath(new URL('./exporter/main.js', import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL('../dist/exporter/main.js', import.meta.url));
}

/** Nodes whose processes sit in host cgroups (provider-local): sampled on the host. */
export function cgroupSources(nodes: readonly Node[]): CgroupSource[] {
  return nodes
    .filter((n) => n.sharesHostFilesystem)
    .map((n) => {
      const cgroups = (n.details as { cgroups?: unknown } | undefined)?.cgroups;
      return {
        node: n.name,
        tier: n.tier,
        cgroups: Array.isArray(cgroups) ? cgroups.filter((c): c is string => typeof c === 'string') : [],
        limitCores: n.limits.cores * n.limits.cpuQuota,
      };
    });
}

/** Nodes with their own kernel (VMs): Debian's prometheus-node-exporter on each. */
export function nodeExporterTargets(nodes: readonly Node[], port: number): ScrapeJob['targets'] {
  return nodes
    .filter((n) => !n.sharesHostFilesystem)
    .map((n) => ({
      address: `${n.address.includes(':') ? `[${n.address}]` : n.address}:${port}`,
      labels: { node: n.name, tier: n.tier },
    }));
}

export function binaryVersion(
  binary: string,
): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  return new Promise((resolvePromise) => {
    execFile(binary, ['--version'], { timeout: 10000 }, (error, stdout, stderr) => {
      if (error)
        resolvePromise({
          ok: false,
          reason:
            (error as NodeJS.ErrnoException).code === 'ENOENT'
              ? `${binary} is not installed`
              : `${binary} --version failed: ${error.message}`,
        });
      else resolvePromise({ ok: true, version: `${stdout}${stderr}`.split('\n')[0]?.trim() ?? '' });
    });
  });
}

function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

export async function install(ctx: Ctx): Promise<PrometheusOutput> {
  const options = resolveOptions(ctx.config);
  const tag = runTag(ctx.run.id);
  const state: PrometheusState = structuredClone(ctx.state.get() ?? emptyState());
  state.phases ??= [];
  state.notes = [];
  const save = (): Promise<void> => ctx.state.set(structuredClone(state));
  const notes: string[] = [];

  // 1. The node sampler (cgroup accounting), always: it is also the fallback when Prometheus is missing.
  const samplerPort = await freePort();
  const samplesFile = join(ctx.workDir, 'samples.jsonl');
  const samplerConfig = join(ctx.workDir, `sampler-${tag}.json`);
  const sources = cgroupSources(ctx.nodes);
  writeFileSync(
    samplerConfig,
    JSON.stringify({
      runId: ctx.run.id,
      host: '127.0.0.1',
      port: samplerPort,
      intervalMs: Math.round(options.scrapeIntervalS * 1000),
      samplesFile,
      sources,
    }),
  );
  const samplerUrl = `http://127.0.0.1:${samplerPort}`;
  state.exporter = { marker: samplerConfig, logFile: join(ctx.workDir, 'sampler.log'), url: samplerUrl };
  await save();
  state.exporter.ref = await startDaemon([process.execPath, samplerMain(), samplerConfig], {
    logFile: state.exporter.logFile,
  });
  await save();
  const samplerReady = await waitHttpReady(`${samplerUrl}/health`, state.exporter.ref, 10000, ctx.signal);
  if (!samplerReady.ok) {
    throw new ContinuumError(
      'SAMPLER_FAILED',
      `The node sampler did not start: ${samplerReady.reason}. ${tail(state.exporter.logFile)}`,
      { hint: `See ${state.exporter.logFile}.` },
    );
  }
  if (sources.some((s) => s.cgroups.length === 0))
    notes.push(
      `nodes without cgroups (${sources
        .filter((s) => s.cgroups.length === 0)
        .map((s) => s.node)
        .join(', ')}): no CPU/memory accounting for them (provider-local without root?)`,
    );

  // 2. Prometheus, when installed: scrapes the sampler, node exporters and app targets.
  const vmTargets = nodeExporterTargets(ctx.nodes, options.nodeExporterPort);
  const jobs: ScrapeJob[] = [
    {
      job: 'continuum-nodes',
      path: '/metrics',
      targets: [{ address: `127.0.0.1:${samplerPort}`, labels: {} }],
    },
    { job: 'node-exporter', path: '/metrics', targets: vmTargets },
    ...options.targets.map((t) => ({
      job: t.job,
      path: t.path,
      targets: [{ address: t.address, labels: {} }],
    })),
  ];
  const kube = kubeObservability(ctx.outputs.cluster);
  if (kube !== undefined) {
    const auth = await credentialsFromKubeconfig(kube.kubeconfig, join(ctx.workDir, 'kube-credentials'));
    const kubeJobs = kubeScrapeJobs(kube, auth);
    jobs.push(...kubeJobs);
    notes.push(
      `Kubernetes: scraping ${kubeJobs.length} API-proxied endpoint(s) (apiserver, kubelet, cAdvisor) of ${kube.apiServer}`,
    );
  }
  let prometheusUrl: string | null = null;
  const version = await binaryVersion(options.binary);
  if (!version.ok) {
    state.prometheusMissing = `${version.reason}; CPU/memory come from the built-in sampler only (install Debian's \`prometheus\` package for a real server and node-exporter/app targets)`;
    if (options.required)
      throw new ContinuumError('PROMETHEUS_MISSING', version.reason, {
        hint: 'apt-get install prometheus, or set monitors[].options.binary, or required: false.',
      });
    ctx.log.warn(state.prometheusMissing);
  } else {
    let port = options.port === 0 ? await freePort() : options.port;
    if (options.port !== 0 && !(await portIsFree(options.port))) {
      port = await freePort();
      notes.push(`port ${options.port} was taken; Prometheus listens on ${port} instead`);
      ctx.log.warn(`port ${options.port} is taken; using ${port} for Prometheus`);
    }
    const configFile = join(ctx.workDir, `prometheus-${tag}.yml`);
    const dataDir = join(ctx.workDir, 'tsdb');
    mkdirSync(dataDir, { recursive: true });
    // The image-classification app (metrics option) writes its scrape targets here in file_sd format.
    const appTargets = join(ctx.run.dir, 'metrics', 'targets.json');
    mkdirSync(dirname(appTargets), { recursive: true });
    if (!existsSync(appTargets)) writeFileSync(appTargets, '[]\n');
    writeFileSync(configFile, prometheusConfig(ctx.run.id, options.scrapeIntervalS, jobs, [appTargets]));
    const url = `http://127.0.0.1:${port}`;
    state.prometheus = { marker: configFile, logFile: join(ctx.workDir, 'prometheus.log'), url };
    await save();
    state.prometheus.ref = await startDaemon(prometheusCommand(options.binary, configFile, dataDir, port), {
      logFile: state.prometheus.logFile,
      cwd: ctx.workDir,
    });
    await save();
    const ready = await waitHttpReady(`${url}/-/ready`, state.prometheus.ref, 30000, ctx.signal);
    // Prometheus applies static targets through its discovery manager, which batches updates
    // every 5 s: wait until every target was scraped once, so the benchmark window is covered.
    const expected = jobs.reduce((a, j) => a + j.targets.length, 0);
    const scraped = ready.ok
      ? await waitTargetsScraped(url, expected, 20000, ctx.signal)
      : { ok: false as const, reason: ready.reason };
    if (ready.ok && !scraped.ok)
      notes.push(`Prometheus targets not all scraped before the benchmark: ${scraped.reason}`);
    if (ready.ok) {
      prometheusUrl = url;
      ctx.log.info(
        `Prometheus (${version.version}) on ${url}, scraping ${jobs.reduce((a, j) => a + j.targets.length, 0)} target(s)`,
      );
    } else {
      state.prometheusMissing = `Prometheus did not become ready: ${ready.reason}. ${tail(state.prometheus.logFile)}`;
      await stopDaemon(state.prometheus.ref);
      if (options.required)
        throw new ContinuumError('PROMETHEUS_FAILED', state.prometheusMissing, {
          hint: `See ${state.prometheus.logFile}.`,
        });
      ctx.log.warn(state.prometheusMissing);
    }
  }

  // 3. Grafana provisioning, always; Grafana itself only when installed.
  const grafanaDir = join(ctx.workDir, 'grafana');
  const datasourceUrl = prometheusUrl ?? 'http://127.0.0.1:9090';
  const { provisioningDir } = writeGrafanaProvisioning(grafanaDir, datasourceUrl, ctx.run.id);
  let grafanaUrl: string | null = null;
  let howTo: string | null = null;
  const grafana =
    options.grafana.start && prometheusUrl !== null
      ? await binaryVersion(options.grafana.binary)
      : { ok: false as const, reason: 'not started' };
  if (grafana.ok) {
    const port = await freePort();
    state.grafana = {
      marker: provisioningDir,
      logFile: join(ctx.workDir, 'grafana.log'),
      url: `http://127.0.0.1:${port}`,
    };
    await save();
    state.grafana.ref = await startDaemon(
      [
        options.grafana.binary,
        '--homepath=/usr/share/grafana',
        `cfg:paths.provisioning=${provisioningDir}`,
        `cfg:paths.data=${join(grafanaDir, 'data')}`,
      ],
      {
        logFile: state.grafana.logFile,
        env: {
          GF_SERVER_HTTP_ADDR: '127.0.0.1',
          GF_SERVER_HTTP_PORT: String(port),
          GF_AUTH_ANONYMOUS_ENABLED: 'true',
        },
      },
    );
    await save();
    const ready = await waitHttpReady(
      `${state.grafana.url}/api/health`,
      state.grafana.ref,
      30000,
      ctx.signal,
    );
    if (ready.ok) grafanaUrl = state.grafana.url ?? null;
    else {
      await stopDaemon(state.grafana.ref);
      howTo = `Grafana did not start (${ready.reason}); ${grafanaHowTo(provisioningDir, datasourceUrl)}`;
    }
  } else howTo = grafanaHowTo(provisioningDir, datasourceUrl);
  notes.push(
    grafanaUrl !== null
      ? `Grafana: ${grafanaUrl} (dashboards provisioned from ${provisioningDir})`
      : (howTo ?? ''),
  );

  state.notes = notes;
  await save();
  return {
    prometheusUrl,
    samplerUrl,
    samplesFile,
    grafana: { provisioningDir, url: grafanaUrl, howTo },
    nodeExporterTargets: vmTargets.map((t) => t.address),
    notes,
  };
}

interface TargetsResponse {
  data?: {
    activeTargets?: { lastScrape?: string; health?: string; scrapeUrl?: string; lastError?: string }[];
  };
}

/** Poll /api/v1/targets until `expected` targets have been scraped at least once (up or down). */
export async function waitTargetsScraped(
  url: string,
  expected: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no targets yet';
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const body = (await (
        await fetch(`${url}/api/v1/targets`, { signal: AbortSignal.timeout(2000) })
      ).json()) as TargetsResponse;
      const active = body.data?.activeTargets ?? [];
      const scraped = active.filter(
        (t) => t.health !== 'unknown' && t.lastScrape !== undefined && !t.lastScrape.startsWith('0001'),
      );
      if (active.length >= expected && scraped.length >= expected) return { ok: true };
      last = `${scraped.length}/${expected} scraped${active
        .filter((t) => t.health === 'down')
        .map((t) => `; ${t.scrapeUrl ?? '?'} down: ${t.lastError ?? ''}`)
        .join('')}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { ok: false, reason: last };
}

export const toJson = (o: PrometheusOutput): Json => JSON.parse(JSON.stringify(o)) as Json;

export const samplerAlive = (state: PrometheusState): boolean => isDaemonRunning(state.exporter?.ref);
