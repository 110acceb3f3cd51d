import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostNode, createProcessRunner, type Node } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import { connect, createSplitRunner } from '@continuum/rm-kubernetes';
// The application is built first (its function runs from dist/); resolved through the workspace.
import app from '@continuum/app-image-classification';
import { createFunctionRunner } from '../src/index.js';

/**
 * The image-classification function through rm-openfaas's runner, without a cluster: a stand-in
 * API server records the Deployment/Service the runner creates and plays kubelet for it (runs the
 * container command with the container env on this host, probes the readiness path, serves the
 * pod log), and a stand-in gateway routes /function/<name>/... to it. Endpoints (process runner)
 * POST through that gateway URL, which is the runner's `ref.data.url`.
 * The only liberty: the pod's port 8080 is mapped to a free host port (PORT/HOST overridden),
 * as the pod network would keep it apart from everything else listening here.
 */
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Container {
  name: string;
  image: string;
  command: string[];
  env: { name: string; value: string }[];
  ports: { containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: number } };
  resources: { requests: Record<string, string> };
}

interface Pod {
  child: ChildProcess;
  port: number | undefined;
  ready: boolean;
  log: string[];
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );

function hostNode(name: string, tier: 'cloud' | 'endpoint', address: string): Node {
  return createHostNode({
    name,
    tier,
    role: tier,
    address,
    limits: { cores: 2, cpuQuota: 1, memoryMiB: 2048 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
  });
}

describe('image-classification function deployed by the openfaas runner (stand-in API and gateway)', () => {
  it('the app picks serverless under openfaas; the runner deploys its function spec; endpoints invoke it via the gateway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmopenfaas-app-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const deployments = new Map<string, { container: Container; pod: Pod }>();
    const services: string[] = [];
    const deleted: string[] = [];
    const gatewayCalls: string[] = [];

    const startPod = (container: Container): Pod => {
      const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
      const [cmd, ...args] = container.command;
      const child = spawn(cmd as string, args, {
        env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const pod: Pod = { child, port: undefined, ready: false, log: [] };
      const probe = (): void => {
        if (pod.port === undefined || child.exitCode !== null) return;
        const req = request(
          { host: '127.0.0.1', port: pod.port, path: container.readinessProbe.httpGet.path },
          (res) => {
            res.resume();
            pod.ready = res.statusCode === 200;
          },
        );
        req.on('error', () => (pod.ready = false));
        req.end();
      };
      const timer = setInterval(probe, 100);
      child.on('exit', () => clearInterval(timer));
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => {
          pod.log.push(`${new Date().toISOString()} ${line}`);
          const url = /"url":"http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
          if (url !== null) pod.port = Number(url[1]);
        });
      }
      return pod;
    };
    const stopPod = (pod: Pod): Promise<void> =>
      new Promise((resolve) => {
        if (pod.child.exitCode !== null || pod.child.signalCode !== null) return resolve();
        pod.child.once('exit', () => resolve());
        pod.child.kill('SIGTERM');
      });
    closers.push(async () => {
      for (const d of deployments.values()) await stopPod(d.pod);
    });

    const api = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const send = (json: unknown, status = 200): void => {
          res.statusCode = status;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(json));
        };
        if (req.method === 'POST' && url.pathname.endsWith('/deployments')) {
          const d = JSON.parse(body) as {
            metadata: { name: string };
            spec: { template: { spec: { containers: Container[] } } };
          };
          const container = d.spec.template.spec.containers[0] as Container;
          deployments.set(d.metadata.name, { container, pod: startPod(container) });
          return send(d, 201);
        }
        if (req.method === 'POST' && url.pathname.endsWith('/services')) {
          services.push((JSON.parse(body) as { metadata: { name: string } }).metadata.name);
          return send(JSON.parse(body), 201);
        }
        if (req.method === 'DELETE') {
          deleted.push(url.pathname);
          const name = url.pathname.split('/').pop() ?? '';
          const d = url.pathname.includes('/deployments/') ? deployments.get(name) : undefined;
          void (d === undefined ? Promise.resolve() : stopPod(d.pod)).then(() =>
            send({ kind: 'Status', apiVersion: 'v1', status: 'Success' }),
          );
          return;
        }
        if (url.pathname === '/api/v1/namespaces/openfaas-fn/pods') {
          const fn = (url.searchParams.get('labelSelector') ?? '').replace('faas_function=', '');
          const d = deployments.get(fn);
          const now = new Date().toISOString();
          const running = d !== undefined && d.pod.child.exitCode === null && d.pod.child.signalCode === null;
          return send({
            apiVersion: 'v1',
            kind: 'PodList',
            metadata: {},
            items:
              d === undefined
                ? []
                : [
                    {
                      metadata: { name: `${fn}-pod`, creationTimestamp: now, labels: { faas_function: fn } },
                      spec: { nodeName: 'cloud0', containers: [{ name: fn, image: d.container.image }] },
                      status: {
                        phase: running ? 'Running' : 'Failed',
                        conditions: [
                          { type: 'Ready', status: d.pod.ready ? 'True' : 'False', lastTransitionTime: now },
                        ],
                        containerStatuses: [
                          {
                            name: fn,
                            image: d.container.image,
                            imageID: '',
                            ready: d.pod.ready,
                            restartCount: 0,
                            state: running
                              ? { running: { startedAt: now } }
                              : { terminated: { exitCode: d.pod.child.exitCode ?? 137 } },
                          },
                        ],
                      },
                    },
                  ],
          });
        }
        if (url.pathname.endsWith('/log')) {
          const fn = url.pathname.split('/').at(-2)?.replace(/-pod$/, '') ?? '';
          res.setHeader('content-type', 'text/plain');
          return res.end(`${(deployments.get(fn)?.pod.log ?? []).join('\n')}\n`);
        }
        send({ kind: 'Status', code: 404 }, 404);
      });
    });
    const apiPort = await listen(api);
    closers.push(() => new Promise<void>((r) => api.close(() => r())));

    // The gateway: /function/<name>/<rest> → the function's pod, as faas-netes' provider routes it.
    const gateway = createServer((req, res) => {
      const m = /^\/function\/([^/?]+)(.*)$/.exec(req.url ?? '');
      const pod = m === null ? undefined : deployments.get(m[1] as string)?.pod;
      gatewayCalls.push(`${req.method} ${req.url}`);
      if (m === null || pod?.port === undefined || !pod.ready) {
        res.writeHead(m === null ? 404 : 502).end('no such function or not ready');
        return;
      }
      const upstream = request(
        { host: '127.0.0.1', port: pod.port, path: m[2] || '/', method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    gateway.keepAliveTimeout = 65_000;
    const gatewayPort = await listen(gateway);
    closers.push(() => {
      gateway.closeAllConnections();
      return new Promise<void>((r) => gateway.close(() => r()));
    });

    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: http://127.0.0.1:${apiPort}\n    insecure-skip-tls-verify: true\nusers:\n- name: t\n  user:\n    token: x\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: t\ncurrent-context: t\n`,
    );
    const cloud = hostNode('cloud0', 'cloud', '127.0.0.1');
    const endpoint = hostNode('endpoint0', 'endpoint', '127.0.0.1');
    const functions = createFunctionRunner({
      client: () => connect(kubeconfig),
      runId: 'r-app1',
      nodes: [cloud],
      logDir: join(dir, 'logs'),
      ensureImage: () => Promise.resolve('continuum/node-runtime:test'),
      gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
      functionName: () => 'image',
      pollIntervalMs: 100,
    });
    const runner = createSplitRunner(
      functions,
      createProcessRunner([endpoint], { logDir: join(dir, 'logs') }),
      (n) => n === 'endpoint0',
    );
    const ctx = createTestContext({
      config: { frequency: 5, duration: 2, mode: 'auto', perWorker: 1, workerCpu: 1, metrics: { port: 0 } },
      tiers: {
        cloud: { nodes: 1, cores: 2, memoryMiB: 2048 },
        edge: { nodes: 0 },
        endpoint: { nodes: 1, cores: 1, memoryMiB: 1024 },
      },
      nodes: [cloud, endpoint],
      runner,
      runDir: dir,
      outputs: { services: {} },
    });
    // The function's prom-client metrics, scraped through the gateway while it serves.
    const metricsUrl = `http://127.0.0.1:${gatewayPort}/function/image/metrics`;
    let scraped: number | undefined;
    const scraper = (async () => {
      for (let i = 0; i < 100 && scraped === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const text = await fetch(metricsUrl).then(
          (r) => (r.ok ? r.text() : ''),
          () => '',
        );
        const m = /^continuum_app_messages_processed_total\{[^}]*\} (\d+)$/m.exec(text);
        if (m !== null && Number(m[1]) > 0) scraped = Number(m[1]);
      }
    })();
    const result = await app.benchmark(ctx as never);
    await scraper;

    // What the runner deployed is the app's function spec, on rm-openfaas' contract.
    const fn = deployments.get('image');
    expect(fn).toBeDefined();
    const c = fn!.container;
    expect(c.command[c.command.length - 1]).toMatch(/app-image-classification\/dist\/function\.js$/);
    expect(existsSync(c.command[c.command.length - 1] as string)).toBe(true);
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ PORT: '8080', HOST: '0.0.0.0', CPU_THREADS: '1', WORKER_ID: 'cloud0' });
    // Pods are reachable only through the gateway: metrics on the function's own port, no extra port.
    expect(env['METRICS_INLINE']).toBe('1');
    expect(env['METRICS_PORT']).toBeUndefined();
    expect(existsSync((JSON.parse(env['MODEL_JSON'] as string) as { onnxPath: string }).onnxPath)).toBe(true);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/_/health', port: 8080 });
    // Upstream's function requests: cpu min(1, workerCpu), memory min(1000, workerMemory) Mi.
    expect(c.resources.requests).toEqual({ cpu: '1000m', memory: '1000Mi' });
    expect(services).toEqual(['image']);

    // The benchmark went through the gateway and stopped the function (deployment + service deleted).
    expect(result.problems ?? []).toEqual([]);
    expect(result.status).toBe('ok');
    expect(result.summary['mode']).toBe('serverless');
    expect(result.summary['images_replied']).toBe(10);
    expect(gatewayCalls.filter((x) => x === 'POST /function/image')).toHaveLength(10);
    expect(deleted).toEqual([
      '/apis/apps/v1/namespaces/openfaas-fn/deployments/image',
      '/api/v1/namespaces/openfaas-fn/services/image',
    ]);
    expect(fn!.pod.child.exitCode).toBe(0); // SIGTERM: the function exits cleanly
    expect(scraped).toBeGreaterThan(0);
    expect(String(result.summary['metrics_targets']).split(',')).toContain(metricsUrl);
  }, 120_000);
});
