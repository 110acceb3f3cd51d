import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PluginManifest } from '@continuum/plugin-api';
import { capabilityContract, createTestContext, sshNodeInfo } from '@continuum/plugin-api/testing';
import {
  TEMPLATES_DIR,
  inventoryHost,
  jobManifest,
  lint,
  parseKubeVersion,
  renderClusterArtifacts,
  syntaxCheck,
  validateManifests,
} from '@continuum/rm-kubernetes';
import rm, {
  EDGE_POD,
  KUBEEDGE_TEMPLATES,
  kubeedgeBundleExtras,
  kubeedgeOptionsSchema,
  renderKubeEdgeArtifacts,
} from '../src/index.js';

const ssh = sshNodeInfo;

describe('KubeEdge playbooks (upstream edge config: 1 controller + 2 edges)', () => {
  for (const offline of [false, true]) {
    it(`${offline ? 'offline' : 'online'}: syntax-check, ansible-lint, snapshot`, async () => {
      const outDir = mkdtempSync(join(tmpdir(), 'rmkubeedge-'));
      const controller = ssh('cloud_controller', 'cloud', 'cloud-controller', 0);
      const edges = [ssh('edge0', 'edge', 'edge', 1), ssh('edge1', 'edge', 'edge', 2)];
      const kube = parseKubeVersion('v1.30');
      const r = await renderKubeEdgeArtifacts({
        kube,
        controller,
        outDir,
        offlineDir: offline ? '/srv/bundle' : undefined,
        mosquitto: true,
      });
      const inv = await renderClusterArtifacts({
        runId: 'r-k3x9',
        kube,
        controller,
        workers: [],
        extraGroups: [{ name: 'edges', hosts: edges.map(inventoryHost) }],
        outDir: join(outDir, 'inv'),
        mosquitto: true,
        applyCni: true,
      });
      for (const p of [r.cloudcore, r.edges]) {
        const check = await syntaxCheck(p, inv.inventory);
        expect(check.ok, check.output).toBe(true);
      }
      const res = await lint([r.cloudcore, r.edges], outDir);
      expect(res.ok, res.output).toBe(true);
      const norm = (f: string): string =>
        readFileSync(f, 'utf8')
          .split(outDir)
          .join('<out>')
          .split(TEMPLATES_DIR)
          .join('<templates>')
          .split(KUBEEDGE_TEMPLATES)
          .join('<kubeedge>');
      await expect(norm(r.cloudcore)).toMatchFileSnapshot(
        `__snapshots__/${offline ? 'offline' : 'online'}/cloudcore_install.yml`,
      );
      await expect(norm(r.edges)).toMatchFileSnapshot(
        `__snapshots__/${offline ? 'offline' : 'online'}/edge_install.yml`,
      );
      const text = norm(r.edges) + norm(r.cloudcore);
      expect(text).not.toContain('apt.kubernetes.io');
      expect(text).not.toContain('1.8.1');
      if (offline) expect(text).not.toMatch(/https?:\/\//);
      else
        expect(text).toContain(
          'https://github.com/kubeedge/kubeedge/releases/download/v1.20.0/keadm-v1.20.0-linux-amd64.tar.gz',
        );
    }, 120_000);
  }
  it('lists what an offline bundle needs', () => {
    const extras = kubeedgeBundleExtras();
    expect(extras.downloads[0]?.dest).toBe('keadm-v1.20.0-linux-amd64.tar.gz');
    expect(extras.images).toContain('docker.io/kubeedge/installation-package:v1.20.0');
  });
});

describe('edge workloads', () => {
  it('Jobs for edges use host networking and tolerate the edge role, and validate', async () => {
    const job = jobManifest(
      { name: 'worker-edge0', node: 'edge0', command: ['node', 'w.js'], cpu: 0.5 },
      {
        runId: 'r-k3x9',
        namespace: 'default',
        image: 'img:1',
        imagePullPolicy: 'Never',
        hostPaths: [],
        nodeSelector: { 'continuum.io/node': 'edge0' },
        ...EDGE_POD,
      },
    );
    expect(await validateManifests([job])).toEqual({ validated: 1, unknownKinds: [] });
    expect(JSON.stringify(job)).toContain('"hostNetwork":true');
  });
});

describe('bad input', () => {
  it('kubeedge with no edge nodes is an error that spells out the rule', async () => {
    const ctx = createTestContext({
      config: kubeedgeOptionsSchema.parse({}),
      tiers: { cloud: { nodes: 1 }, edge: { nodes: 0 }, endpoint: { nodes: 1 } },
      withController: true,
    });
    const diags = (await rm.validate?.(ctx as never)) ?? [];
    const edge = diags.find((d) => d.path === 'infrastructure.edge.nodes');
    expect(edge?.severity).toBe('error');
    expect(edge?.message).toContain(
      'needs exactly 1 cloud node (the controller running cloudcore), edge nodes >= 1',
    );
  });
  it('rejects an unknown Kubernetes version and a malformed KubeEdge version', () => {
    expect(kubeedgeOptionsSchema.safeParse({ kubernetesVersion: '1.21' }).success).toBe(false);
    expect(kubeedgeOptionsSchema.safeParse({ kubeedgeVersion: '1.8' }).success).toBe(false);
  });
});

describe('plugin contract', () => {
  const manifest = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      continuum: PluginManifest;
    }
  ).continuum;
  for (const c of capabilityContract({ manifest, load: () => Promise.resolve({ default: rm }) }))
    it(c.name, c.run);
});
