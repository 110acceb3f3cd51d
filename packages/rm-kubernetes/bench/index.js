// Rendering + validation time for every resource-manager artifact (kubernetes online/offline,
// kubeedge, openfaas, offline-bundle fetch), plus manifest validation throughput.
// Run after `npx tsc -b packages/rm-openfaas packages/rm-kubeedge`: node packages/rm-kubernetes/bench/index.js
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deploymentPlan,
  inventoryHost,
  jobManifest,
  lint,
  parseKubeVersion,
  renderBundleFetch,
  renderClusterArtifacts,
  syntaxCheck,
  validateManifests,
} from '../dist/index.js';
import { renderKubeEdgeArtifacts } from '@continuum/rm-kubeedge';
import { renderOpenFaas } from '@continuum/rm-openfaas';

const ssh = (name, tier, role, i) => ({
  name,
  tier,
  role,
  address: `192.168.100.${10 + i}`,
  limits: { cores: 2, cpuQuota: 1, memoryMiB: 2048 },
  access: { kind: 'ssh', user: 'continuum', host: `192.168.100.${10 + i}`, port: 22, keyFile: '/k' },
  sharesHostFilesystem: false,
});
const time = async (label, fn) => {
  const t = process.hrtime.bigint();
  const r = await fn();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(`${label.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms`);
  return { r, ms };
};
const out = mkdtempSync(join(tmpdir(), 'rm-bench-'));
const controller = ssh('cloud_controller', 'cloud', 'cloud-controller', 0);
const workers = [1, 2, 3].map((i) => ssh(`cloud${i - 1}`, 'cloud', 'cloud', i));
const edges = [1, 2].map((i) => ssh(`edge${i - 1}`, 'edge', 'edge', i));
const kube = parseKubeVersion('v1.31');
let renderMs = 0;
let checkMs = 0;
const playbooks = [];
let inventory = '';
for (const offline of [false, true]) {
  const { r, ms } = await time(
    `render kubernetes (${offline ? 'offline bundle' : 'pkgs.k8s.io'}, 1+3 nodes)`,
    () =>
      renderClusterArtifacts({
        runId: 'bench-k3x9',
        kube,
        controller,
        workers,
        extraGroups: [{ name: 'edges', hosts: edges.map(inventoryHost) }],
        outDir: join(out, offline ? 'off' : 'on'),
        offline: offline ? { localDir: '/srv/bundle' } : undefined,
        mosquitto: true,
        applyCni: true,
      }),
  );
  renderMs += ms;
  inventory = r.inventory;
  playbooks.push(...Object.values(r.playbooks));
}
for (const offline of [false, true]) {
  const { r, ms } = await time(`render kubeedge (${offline ? 'offline' : 'online'})`, () =>
    renderKubeEdgeArtifacts({
      kube,
      controller,
      outDir: join(out, offline ? 'off' : 'on'),
      offlineDir: offline ? '/srv/bundle' : undefined,
      mosquitto: true,
    }),
  );
  renderMs += ms;
  playbooks.push(r.cloudcore, r.edges);
}
const of = await time('render + validate openfaas manifests and playbook', () =>
  renderOpenFaas({ runId: 'bench-k3x9', outDir: join(out, 'on'), password: 'x', rolloutTimeoutSeconds: 300 }),
);
renderMs += of.ms;
playbooks.push(of.r.playbook);
const fb = await time('render fetch-bundle playbook', () =>
  renderBundleFetch({ kube, bundleDir: '/srv/bundle', outFile: join(out, 'fetch_bundle.yml') }),
);
renderMs += fb.ms;
playbooks.push(fb.r);
for (const p of playbooks) {
  const { r, ms } = await time(`syntax-check ${p.slice(out.length + 1)}`, () => syntaxCheck(p, inventory));
  if (!r.ok) throw new Error(r.output);
  checkMs += ms;
}
const lintRun = await time(`ansible-lint (production) on all ${playbooks.length} playbooks`, () =>
  lint(playbooks, out),
);
if (!lintRun.r.ok) throw new Error(lintRun.r.output);
const jobs = Array.from({ length: 100 }, (_, i) =>
  jobManifest(
    {
      name: `worker-${i}`,
      node: `cloud${i % 3}`,
      command: ['node', 'w.js'],
      cpu: 1.5,
      memoryMiB: 1500,
      env: { CPU_THREADS: '1' },
    },
    {
      runId: 'bench-k3x9',
      namespace: 'default',
      image: 'img:1',
      imagePullPolicy: 'Never',
      hostPaths: ['/opt/app'],
      nodeSelector: { 'continuum.io/node': `cloud${i % 3}` },
    },
  ),
);
const first = await time('validate 1 Job (cold: loads kubernetes-models schemas)', () =>
  validateManifests(jobs.slice(0, 1)),
);
const v = await time('validate 100 worker Jobs against the OpenAPI schema', () => validateManifests(jobs));
const plans = ['pod', 'container', 'file', 'call'].flatMap(
  (method) =>
    deploymentPlan({
      method,
      replicas: 50,
      sleepSeconds: 10,
      image: 'img:1',
      nodeBinary: '/usr/bin/node',
      namespace: 'default',
      runId: 'r',
      benchId: 'b',
    }).jobs,
);
const d = await time(
  `validate deployment-benchmark Jobs (4 methods x 50 pods: ${plans.length} objects)`,
  () => validateManifests(plans),
);
console.log('');
console.log(
  `total rendering: ${renderMs.toFixed(0)} ms; syntax-check: ${checkMs.toFixed(0)} ms for ${playbooks.length} playbooks; ansible-lint: ${lintRun.ms.toFixed(0)} ms`,
);
console.log(
  `manifest validation: ${(v.ms / 100).toFixed(2)} ms per Job warm (${first.ms.toFixed(0)} ms cold), ${d.r.validated} benchmark Jobs in ${d.ms.toFixed(0)} ms`,
);
