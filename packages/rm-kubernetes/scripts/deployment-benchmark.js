#!/usr/bin/env node
// Control-plane deployment benchmark on a running cluster (upstream's kubecontrol idea without
// patched binaries): deploys N sleeping pods by each method and prints the per-pod phase table.
//
//   node packages/rm-kubernetes/scripts/deployment-benchmark.js --kubeconfig <run>/work/…/admin.kubeconfig \
//     [--server https://<controller>:6443] [--method pod|container|file|call|all] [--replicas 10] \
//     [--sleep 30] [--image continuum/node-runtime:<tag>] [--node-binary /usr/bin/node] [--out ./deployment]
//
// The image must already be on the workers (Continuum imports its runtime image during install;
// `ctr -n k8s.io images ls` on a worker shows the tag).
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createMemoryLogger } from '@continuum/plugin-api';
import { DEPLOYMENT_METHODS, connect, runDeploymentBenchmark } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    server: { type: 'string' },
    method: { type: 'string', default: 'all' },
    replicas: { type: 'string', default: '10' },
    sleep: { type: 'string', default: '30' },
    image: { type: 'string' },
    'node-binary': { type: 'string', default: process.execPath },
    namespace: { type: 'string', default: 'default' },
    out: { type: 'string', default: 'deployment-benchmark' },
    'pull-policy': { type: 'string', default: 'Never' },
  },
});
if (values.kubeconfig === undefined || values.image === undefined) {
  console.error(
    'usage: deployment-benchmark.js --kubeconfig FILE --image IMAGE [--method pod|container|file|call|all] [--replicas N] [--sleep S] [--out DIR]',
  );
  process.exit(2);
}
const methods = values.method === 'all' ? DEPLOYMENT_METHODS : [values.method];
if (!methods.every((m) => DEPLOYMENT_METHODS.includes(m))) {
  console.error(`--method must be one of ${DEPLOYMENT_METHODS.join(', ')}, all`);
  process.exit(2);
}
const client = await connect(values.kubeconfig, values.server ? { server: values.server } : {});
const log = createMemoryLogger('deployment');
let failed = false;
for (const method of methods) {
  try {
    const r = await runDeploymentBenchmark(
      client,
      {
        method,
        replicas: Number(values.replicas),
        sleepSeconds: Number(values.sleep),
        image: values.image,
        nodeBinary: values['node-binary'],
        namespace: values.namespace,
        runId: `bench-${Date.now().toString(36)}`,
        benchId: `${method}-${Date.now().toString(36)}`,
        imagePullPolicy: values['pull-policy'],
      },
      { dir: resolve(values.out), log },
    );
    console.log(
      `\n== method ${method}: ${r.summary.deployed}/${r.summary.pods} instances started, last after ${r.summary.makespan?.toFixed(3)} s`,
    );
    console.log(r.table);
    console.log(
      `mean phase (s): ${Object.entries(r.summary.meanPhase)
        .map(([k, v]) => `${k} ${v === undefined ? '-' : v.toFixed(3)}`)
        .join(', ')}`,
    );
    for (const w of r.warnings) console.log(`WARNING ${w}`);
    console.log(`CSV: ${r.files.csv}\nplot: ${r.files.svg}`);
  } catch (error) {
    failed = true;
    console.error(`method ${method} failed: ${error.message}`);
  }
  // Let the previous Jobs' pods go away before the next method.
  await new Promise((r) => setTimeout(r, 5000));
}
process.exit(failed ? 1 : 0);
