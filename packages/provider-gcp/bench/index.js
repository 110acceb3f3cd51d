#!/usr/bin/env node
// provider-gcp benchmark (run after build): plan time, client load time, and the Compute API
// path (VPC + subnets + firewalls + N VMs + RUNNING, then label clean) against the local
// Compute stand-in on 127.0.0.1. No cloud is contacted. Time to SSH-ready on a real project is
// measured by `npm run test:gcp -w packages/provider-gcp` (see README).
//   node packages/provider-gcp/bench/index.js
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveLinks, resolveNodes } from '@continuum/plugin-api';
import { buildPlan, planItems, parseGcpOptions, guestTcCommands } from '../dist/index.js';
import { ComputeApi } from '../dist/gcp/compute-api.js';
import { firewallBody, instanceBody, networkBody, subnetBody } from '../dist/gcp/resources.js';
import { mapLimit } from '../dist/gcp/retry.js';
import { cleanWith } from '../dist/clean.js';
import { startFakeCompute } from '../dist/testing/index.js';

process.stdout.on('error', () => undefined);
const ms = (v) => `${v.toFixed(2)} ms`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function topology(cloud, edge, endpoint) {
  const spec = (n) => ({
    nodes: n,
    cores: 2,
    memoryMiB: 4096,
    cpuQuota: 1,
    diskReadMBps: 0,
    diskWriteMBps: 0,
  });
  const tiers = { cloud: spec(cloud), edge: spec(edge), endpoint: spec(endpoint) };
  const present = ['cloud', 'edge', 'endpoint'].filter((t) => tiers[t].nodes > 0);
  return {
    mode: 'edge',
    tiers,
    nodes: resolveNodes(tiers, true),
    network: { emulation: true, preset: '4g', links: resolveLinks('4g', {}, present) },
  };
}

const options = parseGcpOptions({
  project: 'continuum-bench-1',
  zone: 'us-central1-a',
  sshSourceCidr: '203.0.113.7/32',
  subnetCidrs: { endpoint: '10.0.16.0/20' },
});

console.log('plan (buildPlan + planItems), median of 50 runs:');
for (const [c, e, p] of [
  [2, 2, 6],
  [10, 30, 60],
  [50, 150, 800],
]) {
  const topo = topology(c, e, p);
  const times = [];
  let items = 0;
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    items = planItems(buildPlan(topo, options, '20261123-182000-bnch')).length;
    times.push(performance.now() - t0);
  }
  console.log(`  ${String(topo.nodes.length).padStart(5)} nodes: ${ms(median(times))} (${items} plan lines)`);
}

{
  const topo = topology(10, 30, 60);
  const peers = topo.nodes.map((n, i) => ({
    address: `10.0.${['cloud', 'edge', 'endpoint'].indexOf(n.tier)}.${(i % 250) + 2}`,
    tier: n.tier,
  }));
  const t0 = performance.now();
  let commands = 0;
  for (const self of peers)
    commands += guestTcCommands({ iface: 'ens4', self, peers, links: topo.network.links }).length;
  console.log(
    `guest tc commands for all 100 nodes of a 100-node run: ${ms(performance.now() - t0)} (${commands} tc invocations)`,
  );
}

// The Compute API path against the local stand-in.
const dir = mkdtempSync(join(tmpdir(), 'gcp-bench-'));
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const keyFile = join(dir, 'sa.json');
writeFileSync(
  keyFile,
  JSON.stringify({
    type: 'service_account',
    project_id: 'continuum-bench-1',
    private_key_id: 'b',
    private_key: privateKey,
    client_email: 'bench@continuum-bench-1.iam.gserviceaccount.com',
    token_uri: 'http://127.0.0.1:9/token',
  }),
  { mode: 0o600 },
);
const fake = await startFakeCompute({
  project: 'continuum-bench-1',
  publicKeyPem: publicKey,
  operationPolls: 1,
  bootPolls: 1,
});
try {
  const t0 = performance.now();
  const api = new ComputeApi({
    project: 'continuum-bench-1',
    zone: 'us-central1-a',
    region: 'us-central1',
    credentials: keyFile,
    apiEndpoint: fake.url,
    operationTimeoutMs: 60_000,
  });
  await api.getProject();
  const loadMs = performance.now() - t0;
  console.log(`Compute client load + first authenticated call: ${ms(loadMs)}`);
  for (const n of [10, 100]) {
    const plan = buildPlan(
      topology(Math.round(n * 0.1), Math.round(n * 0.3), n - Math.round(n * 0.1) - Math.round(n * 0.3)),
      options,
      `20261123-182000-b${n}`,
    );
    const access = {
      sshUser: 'continuum',
      publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIbench bench',
      externalIp: true,
      image: options.image,
    };
    const requestsBefore = fake.requests.length;
    const c0 = performance.now();
    await api.insertNetwork(networkBody(plan));
    await Promise.all([
      ...plan.subnets.map((s) => api.insertSubnetwork(subnetBody(plan, s))),
      ...plan.firewalls.map((f) => api.insertFirewall(firewallBody(plan, f))),
    ]);
    const created = await mapLimit(plan.instances, options.concurrency, (i) =>
      api.insertInstance(instanceBody(plan, i, access)),
    );
    if (created.some((r) => r.status === 'rejected')) throw new Error('create failed');
    await mapLimit(plan.instances, 16, async (i) => {
      for (;;) {
        const inst = await api.getInstance(i.name);
        if (inst.status === 'RUNNING') return;
      }
    });
    const createMs = performance.now() - c0;
    const requests = fake.requests.length - requestsBefore;
    const d0 = performance.now();
    const report = await cleanWith(api, {
      project: plan.project,
      zone: plan.zone,
      runId: plan.runId,
      concurrency: options.concurrency,
    });
    const cleanMs = performance.now() - d0;
    if (report.errors.length > 0 || fake.instances.size > 0) throw new Error('clean failed');
    console.log(
      `${String(plan.instances.length).padStart(4)} VMs through the client (concurrency ${options.concurrency}): create+RUNNING ${ms(createMs)} (${requests} requests), clean by label ${ms(cleanMs)}`,
    );
  }
  await api.close();
} finally {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
