import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestContext } from '@continuum/plugin-api/testing';
import monitor from '../src/index.js';
import type { PrometheusState } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { credentialsFromKubeconfig, kubeObservability, kubeScrapeJobs } from '../src/kubernetes.js';
import { prometheusConfig } from '../src/prometheus-config.js';

const tmp = mkdtempSync(join(tmpdir(), 'mon-prom-k8s-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The observability part of rm-kubernetes' cluster output (observability: true). */
const cluster = (kubeconfig: string) => ({
  runner: 'kubernetes',
  nodes: { cloud0: 'ct-ab12-cloud0', cloud1: 'ct-ab12-cloud1' },
  observability: {
    enabled: true,
    apiServer: 'https://10.0.0.2:6443',
    kubeconfig,
    metricsPaths: {
      apiserver: '/metrics',
      kubelet: '/api/v1/nodes/{node}/proxy/metrics',
      cadvisor: '/api/v1/nodes/{node}/proxy/metrics/cadvisor',
    },
  },
});

describe('Kubernetes runs: cluster metrics through the API server', () => {
  it('turns the kubeconfig into credential files and scrape jobs that promtool accepts', async () => {
    // a real CA and client certificate, as kubeadm's admin.conf embeds them
    const key = join(tmp, 'k.pem');
    const crt = join(tmp, 'c.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '1',
        '-subj',
        '/CN=kubernetes-admin',
      ],
      { stdio: 'ignore' },
    );
    const b64 = (f: string): string => readFileSync(f).toString('base64');
    const kubeconfig = join(tmp, 'admin.conf');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- cluster: { certificate-authority-data: ${b64(crt)}, server: "https://10.0.0.2:6443" }`,
        '  name: kubernetes',
        'contexts:',
        '- context: { cluster: kubernetes, user: kubernetes-admin }',
        '  name: kubernetes-admin@kubernetes',
        'current-context: kubernetes-admin@kubernetes',
        'users:',
        '- name: kubernetes-admin',
        `  user: { client-certificate-data: ${b64(crt)}, client-key-data: ${b64(key)} }`,
        '',
      ].join('\n'),
    );
    const obs = kubeObservability(cluster(kubeconfig));
    expect(obs?.nodes).toEqual({ cloud0: 'ct-ab12-cloud0', cloud1: 'ct-ab12-cloud1' });
    const auth = await credentialsFromKubeconfig(kubeconfig, join(tmp, 'creds'));
    expect(readFileSync(auth.tls.key_file as string, 'utf8')).toBe(readFileSync(key, 'utf8'));
    expect(statSync(auth.tls.key_file as string).mode & 0o777).toBe(0o600);
    const jobs = kubeScrapeJobs(obs!, auth);
    expect(jobs.map((j) => `${j.job} ${j.path}`)).toEqual([
      'k8s-apiserver /metrics',
      'k8s-kubelet-cloud0 /api/v1/nodes/ct-ab12-cloud0/proxy/metrics',
      'k8s-kubelet-cloud1 /api/v1/nodes/ct-ab12-cloud1/proxy/metrics',
      'k8s-cadvisor-cloud0 /api/v1/nodes/ct-ab12-cloud0/proxy/metrics/cadvisor',
      'k8s-cadvisor-cloud1 /api/v1/nodes/ct-ab12-cloud1/proxy/metrics/cadvisor',
    ]);
    expect(jobs[0]?.targets[0]?.address).toBe('10.0.0.2:6443');
    const file = join(tmp, 'prometheus.yml');
    writeFileSync(file, prometheusConfig('r1', 1, jobs));
    expect(readFileSync(file, 'utf8')).toContain('scheme: "https"');
    expect(execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' })).toContain('SUCCESS');
    // and promtool really checks the credential files: a missing key file fails
    rmSync(auth.tls.key_file as string);
    expect(() => execFileSync('promtool', ['check', 'config', file], { stdio: 'pipe' })).toThrow();
  });

  it(
    'a real Prometheus scrapes cAdvisor through an API server with client-certificate TLS (API stand-in)',
    { timeout: 60000 },
    async () => {
      // No Kubernetes here: a local HTTPS server stands in for the API server, requiring the client
      // certificate from the kubeconfig and serving cAdvisor metrics on the proxied node path.
      const key = join(tmp, 'sk.pem');
      const crt = join(tmp, 'sc.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          crt,
          '-days',
          '1',
          '-subj',
          '/CN=kube',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      let cpu = 0;
      const seen: string[] = [];
      const api = createServer(
        {
          key: readFileSync(key),
          cert: readFileSync(crt),
          ca: readFileSync(crt),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (req, res) => {
          seen.push(req.url ?? '');
          cpu += 0.5;
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(
            `container_cpu_usage_seconds_total{container="worker",pod="image-worker-0"} ${cpu}\ncontainer_memory_working_set_bytes{container="worker",pod="image-worker-0"} 104857600\n`,
          );
        },
      );
      await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
      const port = (api.address() as { port: number }).port;
      const b64 = (f: string): string => readFileSync(f).toString('base64');
      const kubeconfig = join(tmp, 'stand-in.conf');
      writeFileSync(
        kubeconfig,
        `apiVersion: v1\nclusters:\n- cluster: { certificate-authority-data: ${b64(crt)}, server: "https://127.0.0.1:${port}" }\n  name: k\ncontexts:\n- context: { cluster: k, user: u }\n  name: c\ncurrent-context: c\nusers:\n- name: u\n  user: { client-certificate-data: ${b64(crt)}, client-key-data: ${b64(key)} }\n`,
      );
      const out = {
        nodes: { cloud0: 'ct-cloud0' },
        observability: {
          enabled: true,
          apiServer: `https://127.0.0.1:${port}`,
          kubeconfig,
          metricsPaths: { cadvisor: '/api/v1/nodes/{node}/proxy/metrics/cadvisor' },
        },
      };
      const ctx = createTestContext<ReturnType<typeof resolveOptions>, PrometheusState>({
        config: resolveOptions({ scrapeIntervalS: 0.5 }),
        outputs: { cluster: out },
      });
      try {
        const installed = (await monitor.install(ctx)) as { prometheusUrl: string; notes: string[] };
        expect(installed.notes.join()).toContain('scraping 1 API-proxied endpoint');
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 3000));
        const result = await monitor.collect(ctx, { start, end: Date.now() });
        expect(seen).toContain('/api/v1/nodes/ct-cloud0/proxy/metrics/cadvisor');
        const podCpu = result.series?.find((s) => s.id === 'pod-cpu-image-worker-0');
        expect(podCpu?.points.length).toBeGreaterThan(2);
        expect(result.series?.find((s) => s.id === 'pod-memory-image-worker-0')?.points[0]?.[1]).toBe(100);
      } finally {
        await monitor.teardown(ctx);
        await new Promise((r) => api.close(r));
      }
    },
  );

  it('no observability in the cluster output: nothing to scrape', () => {
    expect(kubeObservability(undefined)).toBeUndefined();
    expect(kubeObservability({ runner: 'docker' })).toBeUndefined();
    expect(kubeObservability({ observability: null })).toBeUndefined();
    expect(
      kubeObservability({
        ...cluster('/x'),
        observability: { ...cluster('/x').observability, enabled: false },
      }),
    ).toBeUndefined();
  });
});
