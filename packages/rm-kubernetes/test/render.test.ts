import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  lint,
  renderBundleFetch,
  renderClusterArtifacts,
  syntaxCheck,
  TEMPLATES_DIR,
  parseKubeVersion,
} from '../src/index.js';
import { topologyNodes } from './helpers.js';

// Upstream's example topologies (configuration/*.cfg): 1 controller + 1 worker + 1 endpoint, and 3 workers + 6 endpoints.
const CASES = [
  { name: 'cloud-2-endpoint-1', cloud: 2, endpoint: 1, version: 'v1.31', offline: false, mosquitto: true },
  {
    name: 'cloud-4-endpoint-6-offline',
    cloud: 4,
    endpoint: 6,
    version: 'v1.29.9',
    offline: true,
    mosquitto: false,
  },
];

const normalise = (text: string, outDir: string): string =>
  text.split(outDir).join('<out>').split(TEMPLATES_DIR).join('<templates>');

describe('rendered Kubernetes install artifacts', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      const outDir = mkdtempSync(join(tmpdir(), `rmk8s-${c.name}-`));
      const nodes = topologyNodes(c.cloud, 0, c.endpoint);
      const render = () =>
        renderClusterArtifacts({
          runId: '20261123-100000-k3x9',
          kube: parseKubeVersion(c.version),
          controller: nodes[0] as never,
          workers: nodes.filter((n) => n.role === 'cloud'),
          outDir,
          offline: c.offline ? { localDir: '/srv/continuum-bundle' } : undefined,
          mosquitto: c.mosquitto,
          applyCni: true,
        });

      it('every playbook passes ansible-playbook --syntax-check', async () => {
        const r = await render();
        for (const p of Object.values(r.playbooks)) {
          const check = await syntaxCheck(p, r.inventory);
          expect(check.output, p).toContain('playbook:');
          expect(check.ok, check.output).toBe(true);
        }
      }, 60_000);

      it('every playbook passes ansible-lint (production profile)', async () => {
        const r = await render();
        const res = await lint(Object.values(r.playbooks), outDir);
        expect(res.ok, res.output).toBe(true);
      }, 120_000);

      it('kubeadm config is valid YAML for the right kubeadm API and matches the snapshot', async () => {
        const r = await render();
        const docs = parseAllDocuments(readFileSync(r.kubeadmConfig, 'utf8')).map(
          (d) => d.toJS() as { apiVersion: string; kind: string },
        );
        expect(docs.map((d) => d.kind)).toEqual([
          'InitConfiguration',
          'ClusterConfiguration',
          'KubeletConfiguration',
        ]);
        expect(docs[0]?.apiVersion).toBe(
          c.version.startsWith('v1.31') ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3',
        );
        for (const f of r.files) {
          const base = f.slice(outDir.length + 1);
          await expect(normalise(readFileSync(f, 'utf8'), outDir)).toMatchFileSnapshot(
            `__snapshots__/${c.name}/${base}`,
          );
        }
      });

      it('offline installs never reach the internet; online ones use pkgs.k8s.io and a pinned Flannel release', async () => {
        const r = await render();
        const all = Object.values(r.playbooks)
          .map((p) => readFileSync(p, 'utf8'))
          .join('\n');
        expect(all).not.toMatch(/https:\/\/apt\.kubernetes\.io|packages\.cloud\.google\.com/);
        expect(all).not.toMatch(/\/master\//);
        if (c.offline) {
          expect(all).not.toMatch(/https?:\/\//);
          expect(all).toContain('ctr --namespace k8s.io images import');
        } else {
          expect(all).toContain(`https://pkgs.k8s.io/core:/stable:/{{ kube_minor }}/deb/`);
          expect(all).toContain('flannel-io/flannel/releases/download/v0.26.1/kube-flannel.yml');
        }
        const playbook = parse(readFileSync(r.playbooks.base, 'utf8')) as { tasks: { name: string }[] }[];
        expect(playbook[0]?.tasks.length).toBeGreaterThan(5);
      });
    });
  }

  it('the fetch-bundle playbook passes syntax-check and ansible-lint', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'rmk8s-bundle-'));
    const file = await renderBundleFetch({
      kube: parseKubeVersion('v1.31'),
      bundleDir: '/srv/continuum-bundle',
      outFile: join(outDir, 'fetch_bundle.yml'),
      extraImages: ['ghcr.io/openfaas/gateway:0.27.12'],
    });
    expect((await syntaxCheck(file, 'localhost,')).ok).toBe(true);
    const res = await lint([file], outDir);
    expect(res.ok, res.output).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('https://dl.k8s.io/release/stable-1.31.txt');
    expect(text).toContain('containerd-1.7.24-linux-amd64.tar.gz');
  }, 120_000);
});
