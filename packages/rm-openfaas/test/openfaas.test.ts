import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createHostNode, type PluginManifest } from '@continuum/plugin-api';
import { capabilityContract, createTestContext } from '@continuum/plugin-api/testing';
import { connect, lint, syntaxCheck, validateManifests } from '@continuum/rm-kubernetes';
import rm, {
  createFunctionRunner,
  functionManifests,
  gatewayManifests,
  openfaasOptionsSchema,
  renderOpenFaas,
} from '../src/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('OpenFaaS manifests (no arkade, no helm)', () => {
  it('gateway + faas-netes + RBAC validate against the Kubernetes schemas', async () => {
    const objects = gatewayManifests({
      runId: 'r-k3x9',
      passwordBase64: Buffer.from('pw').toString('base64'),
    });
    expect(objects.map((o) => o['kind'])).toEqual([
      'Namespace',
      'Namespace',
      'Secret',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'Deployment',
      'Service',
      'Service',
    ]);
    expect(await validateManifests(objects)).toEqual({ validated: 9, unknownKinds: [] });
  });
  it('the function variant keeps upstream requests (cpu <= 1, memory <= 1000 Mi) and validates', async () => {
    const objs = functionManifests(
      {
        name: 'worker-cloud0',
        node: 'cloud0',
        command: ['/usr/bin/node', '/opt/app/function.js'],
        cpu: 3.5,
        memoryMiB: 3500,
        env: { CPU_THREADS: '1' },
        files: [{ from: '/x', to: '/opt/app' }],
      },
      {
        runId: 'r-k3x9',
        functionName: 'image',
        image: 'continuum/node-runtime:1',
        imagePullPolicy: 'Never',
        hostPaths: ['/opt/app'],
        nodeSelector: { 'continuum.io/node': 'cloud0' },
      },
    );
    expect(await validateManifests(objs)).toEqual({ validated: 2, unknownKinds: [] });
    const text = JSON.stringify(objs);
    expect(text).toContain('"requests":{"cpu":"1000m","memory":"1000Mi"}');
    expect(text).toContain('"faas_function":"image"');
    expect(text).toContain('"com.openfaas.scale.max":"5"');
  });
  it('the install playbook passes syntax-check and ansible-lint; the manifest file is what was validated', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'rmopenfaas-'));
    const r = await renderOpenFaas({
      runId: 'r-k3x9',
      outDir,
      password: 'secret',
      rolloutTimeoutSeconds: 300,
    });
    const inventory = join(outDir, 'inventory.ini');
    writeFileSync(inventory, '[cloudcontroller]\ncloud_controller ansible_host=192.168.100.10\n');
    const check = await syntaxCheck(r.playbook, inventory);
    expect(check.ok, check.output).toBe(true);
    const res = await lint([r.playbook], outDir);
    expect(res.ok, res.output).toBe(true);
    const docs = parseAllDocuments(readFileSync(r.manifestFile, 'utf8')).map(
      (d) => d.toJS() as Record<string, unknown>,
    );
    expect(await validateManifests(docs)).toEqual({ validated: 9, unknownKinds: [] });
    await expect(readFileSync(r.playbook, 'utf8').split(outDir).join('<out>')).toMatchFileSnapshot(
      '__snapshots__/openfaas_install.yml',
    );
  }, 120_000);
});

describe('function runner against a scripted API (client-node over HTTP)', () => {
  it('deploys a function pinned to its node, goes Ready, streams logs, and stops', async () => {
    const created: string[] = [];
    let deployedAt = 0;
    const deleted: string[] = [];
    const iso = (ms: number): string => new Date(ms).toISOString();
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const send = (json: unknown, status = 200): void => {
          res.statusCode = status;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(json));
        };
        if (req.method === 'POST') {
          created.push(`${url.pathname} ${(JSON.parse(body) as { kind: string }).kind}`);
          deployedAt ||= Date.now();
          return send(JSON.parse(body), 201);
        }
        if (req.method === 'DELETE') {
          deleted.push(url.pathname);
          return send({ kind: 'Status', apiVersion: 'v1', status: 'Success' });
        }
        if (url.pathname === '/api/v1/namespaces/openfaas-fn/pods') {
          const ready = Date.now() - deployedAt > 200;
          return send({
            apiVersion: 'v1',
            kind: 'PodList',
            metadata: {},
            items: [
              {
                metadata: {
                  name: 'image-7d9c-x',
                  creationTimestamp: iso(deployedAt),
                  labels: { faas_function: 'image' },
                },
                spec: { nodeName: 'cloud0', containers: [{ name: 'image', image: 'i' }] },
                status: {
                  phase: ready ? 'Running' : 'Pending',
                  conditions: [
                    { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: iso(deployedAt) },
                  ],
                  containerStatuses: [
                    {
                      name: 'image',
                      image: 'i',
                      imageID: '',
                      ready,
                      restartCount: 0,
                      state: ready
                        ? { running: { startedAt: iso(deployedAt) } }
                        : { waiting: { reason: 'ContainerCreating' } },
                    },
                  ],
                },
              },
            ],
          });
        }
        if (url.pathname.endsWith('/log')) {
          res.setHeader('content-type', 'text/plain');
          return res.end(`${iso(deployedAt + 300)} Listening on port: 8080\n`);
        }
        send({ kind: 'Status', code: 404 }, 404);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const dir = mkdtempSync(join(tmpdir(), 'rmopenfaas-kc-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: http://127.0.0.1:${(server.address() as { port: number }).port}\n    insecure-skip-tls-verify: true\nusers:\n- name: t\n  user:\n    token: x\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: t\ncurrent-context: t\n`,
    );
    const node = createHostNode({
      name: 'cloud0',
      tier: 'cloud',
      role: 'cloud',
      address: '127.0.0.1',
      limits: { cores: 1, cpuQuota: 1, memoryMiB: 512 },
      access: { kind: 'process', shell: 'sh' },
      sharesHostFilesystem: true,
    });
    const runner = createFunctionRunner({
      client: () => connect(kubeconfig),
      runId: 'r-k3x9',
      nodes: [node],
      logDir: dir,
      ensureImage: () => Promise.resolve('continuum/node-runtime:test'),
      gatewayUrl: 'http://192.168.100.11:31112',
      functionName: () => 'image',
      pollIntervalMs: 50,
    });
    const w = await runner.run({ name: 'worker-cloud0', node: 'cloud0', command: ['node', 'function.js'] });
    expect(w.ref.data['url']).toBe('http://192.168.100.11:31112/function/image');
    expect(created).toEqual([
      '/apis/apps/v1/namespaces/openfaas-fn/deployments Deployment',
      '/api/v1/namespaces/openfaas-fn/services Service',
    ]);
    await new Promise((r) => setTimeout(r, 600));
    expect(w.timeline().map((s) => s.phase)).toContain('running');
    expect((await w.logs()).map((l) => l.line)).toEqual(['Listening on port: 8080']);
    await w.stop();
    expect(await w.wait({ timeoutMs: 5_000 })).toMatchObject({ phase: 'succeeded' });
    expect(deleted).toEqual([
      '/apis/apps/v1/namespaces/openfaas-fn/deployments/image',
      '/api/v1/namespaces/openfaas-fn/services/image',
    ]);
  });
});

describe('bad input and contract', () => {
  it('rejects edges (openfaas runs on kubernetes rules) and unknown versions', async () => {
    const ctx = createTestContext({
      config: openfaasOptionsSchema.parse({}),
      tiers: { cloud: { nodes: 2 }, edge: { nodes: 1 }, endpoint: { nodes: 1 } },
      withController: true,
    });
    const diags = (await rm.validate?.(ctx as never)) ?? [];
    expect(diags.find((d) => d.path === 'infrastructure.edge.nodes')?.message).toContain(
      'the openfaas resource manager needs',
    );
    expect(openfaasOptionsSchema.safeParse({ kubernetesVersion: 'v9.1' }).success).toBe(false);
  });
  const manifest = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      continuum: PluginManifest;
    }
  ).continuum;
  for (const c of capabilityContract({ manifest, load: () => Promise.resolve({ default: rm }) }))
    it(c.name, c.run);
});
