import { createTestContext } from '@continuum/plugin-api/testing';
import { afterAll, describe, expect, it } from 'vitest';
import provider, { cleanByLabel } from '../../src/index.js';
import type { GcpState } from '../../src/index.js';
import { parseGcpOptions, type GcpOptions } from '../../src/options.js';

/**
 * Against a real Google Cloud project: validate, plan, provision a small three-tier run with
 * guest-side emulation, run a command on every VM, tear down, and check by label that nothing is
 * left. Prints the time until every VM accepted SSH. Costs a few cents.
 *
 *   CONTINUUM_GCP_PROJECT=my-project CONTINUUM_GCP_ZONE=europe-west4-a \
 *   CONTINUUM_GCP_CREDENTIALS=~/keys/continuum.json   # omit to use Application Default Credentials
 *   CONTINUUM_GCP_NODES=1,1,2                         # cloud,edge,endpoint (default 1,1,1)
 *   npm run test:gcp -w packages/provider-gcp
 */
const env = process.env;
const project = env['CONTINUUM_GCP_PROJECT'];
const zone = env['CONTINUUM_GCP_ZONE'];
if (project === undefined || zone === undefined) {
  throw new Error(
    'test:gcp needs a real project: set CONTINUUM_GCP_PROJECT and CONTINUUM_GCP_ZONE (and CONTINUUM_GCP_CREDENTIALS, or use `gcloud auth application-default login`). See packages/provider-gcp/README.md.',
  );
}
const [cloud, edge, endpoint] = (env['CONTINUUM_GCP_NODES'] ?? '1,1,1').split(',').map(Number) as [
  number,
  number,
  number,
];
const config: GcpOptions = parseGcpOptions({
  project,
  zone,
  ...(env['CONTINUUM_GCP_CREDENTIALS'] ? { credentials: env['CONTINUUM_GCP_CREDENTIALS'] } : {}),
  ...(env['CONTINUUM_GCP_SSH_CIDR'] ? { sshSourceCidr: env['CONTINUUM_GCP_SSH_CIDR'] } : {}),
  machineTypes: { cloud: 'e2-standard-2', edge: 'e2-small', endpoint: 'e2-micro' },
});
const ctx = createTestContext<GcpOptions, GcpState>({
  config,
  tiers: {
    cloud: { nodes: cloud, cores: 2, memoryMiB: 8192 },
    edge: { nodes: edge, cores: 2, memoryMiB: 2048 },
    endpoint: { nodes: endpoint, cores: 2, memoryMiB: 1024 },
  },
  emulation: true,
});

afterAll(async () => {
  // Whatever happened above: nothing of this run may stay billable.
  await provider.teardown(ctx).catch((e: unknown) => console.error('teardown failed:', e));
});

describe(`gcp provider on project ${project}, zone ${zone}`, () => {
  it('validates, provisions with emulation, runs commands, tears down completely', async () => {
    const diagnostics = await provider.validate!(ctx);
    for (const d of diagnostics) console.log(`${d.severity} ${d.path ?? ''}: ${d.message}`);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const plan = await provider.plan!(ctx);
    console.log(`plan: ${plan.length} resources, ~${String(plan.at(-1)?.details?.['usdPerHour'])} USD/hour`);

    const t0 = Date.now();
    const infra = await provider.provision(ctx);
    const totalS = (Date.now() - t0) / 1000;
    console.log(
      `time to all ${infra.nodes.length} VMs SSH-ready: ${(Number(infra.details['readyMs']) / 1000).toFixed(1)} s; provision incl. tc + latency matrix: ${totalS.toFixed(1)} s`,
    );
    for (const m of infra.emulation.measurements) {
      console.log(
        `  ${m.from} -> ${m.to}: configured ${m.configuredRttMs} ms, measured ${m.measuredRttMs ?? '-'} ms ${m.ok ? 'ok' : `NOT OK ${m.note ?? ''}`}`,
      );
    }
    expect(infra.emulation.backend).toBe('netem');
    expect(infra.emulation.measurements.every((m) => m.ok)).toBe(true);

    const nodes = await provider.attach(ctx, JSON.parse(JSON.stringify(infra)) as typeof infra);
    try {
      for (const node of nodes) {
        const res = await node.exec(['hostname']);
        expect(res.stdout.trim()).toMatch(/^continuum-/);
      }
    } finally {
      await Promise.all(nodes.map((n) => n.dispose?.() ?? Promise.resolve()));
    }

    const d0 = Date.now();
    await provider.teardown(ctx);
    console.log(`teardown: ${((Date.now() - d0) / 1000).toFixed(1)} s`);
    const left = await cleanByLabel({
      project,
      zone,
      credentials: config.credentials,
      runId: ctx.run.id,
      dryRun: true,
    });
    expect(left).toEqual({
      instances: [],
      disks: [],
      firewalls: [],
      subnetworks: [],
      networks: [],
      errors: [],
    });
  });
});
