import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '@continuum/plugin-api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ComputeApi } from '../src/gcp/compute-api.js';
import { classifyGcpError, toContinuumError } from '../src/gcp/errors.js';
import { cleanByLabel } from '../src/clean.js';
import { startFakeCompute, type FakeCompute } from '../src/testing/fake-compute.js';
import { makeServiceAccount } from './support/credentials.js';

const PROJECT = 'continuum-test-1';
const ZONE = 'europe-west4-a';
const dir = mkdtempSync(join(tmpdir(), 'gcp-api-test-'));
const sa = makeServiceAccount(dir, PROJECT);
let fake: FakeCompute;

const api = (extra: Partial<ConstructorParameters<typeof ComputeApi>[0]> = {}): ComputeApi =>
  new ComputeApi({
    project: PROJECT,
    zone: ZONE,
    region: 'europe-west4',
    credentials: sa.keyFile,
    apiEndpoint: fake.url,
    operationTimeoutMs: 20_000,
    retryBaseDelayMs: 5,
    ...extra,
  });

const net = (name: string, runId = 'run-a') => ({
  name,
  description: `continuum run ${runId}`,
  autoCreateSubnetworks: false,
});
const subnet = (name: string, network: string, cidr: string) => ({
  name,
  network: `projects/${PROJECT}/global/networks/${network}`,
  ipCidrRange: cidr,
  description: 'continuum run run-a',
});
const vm = (name: string, subnetName: string, labels: Record<string, string>) => ({
  name,
  machineType: `zones/${ZONE}/machineTypes/e2-medium`,
  labels,
  disks: [{ boot: true, autoDelete: true, initializeParams: { diskSizeGb: 10, labels } }],
  networkInterfaces: [
    {
      network: 'x',
      subnetwork: `projects/${PROJECT}/regions/europe-west4/subnetworks/${subnetName}`,
      accessConfigs: [{ name: 'nat', type: 'ONE_TO_ONE_NAT' }],
    },
  ],
});

// The first call loads the Compute client (large protos): allow for a slow, shared machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

beforeAll(async () => {
  fake = await startFakeCompute({
    project: PROJECT,
    publicKeyPem: sa.publicKeyPem,
    pageSize: 2,
    operationPolls: 2,
  });
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  fake.faults.length = 0;
});

describe('Compute API client against a local Compute server', () => {
  it('authenticates with the service-account file (signed JWT), creates through operations and lists all pages', async () => {
    const a = api();
    try {
      await a.insertNetwork(net('continuum-aaaa'));
      await a.insertSubnetwork(subnet('continuum-aaaa-cloud', 'continuum-aaaa', '10.0.0.0/24'));
      await Promise.all(
        [0, 1, 2, 3, 4].map((i) =>
          a.insertInstance(
            vm(`continuum-aaaa-cloud${i}`, 'continuum-aaaa-cloud', {
              'continuum-run': 'run-a',
              'managed-by': 'continuum',
            }),
          ),
        ),
      );
      await a.insertInstance(
        vm('continuum-bbbb-cloud0', 'continuum-aaaa-cloud', {
          'continuum-run': 'run-b',
          'managed-by': 'continuum',
        }),
      );
      const before = fake.requests.length;
      const all = await a.listInstances('labels.continuum-run = "run-a"');
      expect(all.map((i) => i.name).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `continuum-aaaa-cloud${i}`));
      // 5 items at 2 per page: 3 requests following nextPageToken.
      expect(fake.requests.slice(before).filter((r) => r.path.endsWith('/instances'))).toHaveLength(3);
      expect(fake.requests.every((r) => r.authorized)).toBe(true);
      // Operations were waited on through .../operations/<op>/wait.
      expect(
        fake.requests.some((r) => /\/zones\/europe-west4-a\/operations\/[^/]+\/wait$/.test(r.path)),
      ).toBe(true);
      const got = await a.getInstance('continuum-aaaa-cloud0');
      expect(got.networkInterfaces?.[0]?.networkIP).toMatch(/^10\.0\.0\.\d+$/);
    } finally {
      await a.close();
    }
  });

  it('uses Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS) when no file is configured', async () => {
    const saved = process.env['GOOGLE_APPLICATION_CREDENTIALS'];
    process.env['GOOGLE_APPLICATION_CREDENTIALS'] = sa.keyFile;
    const a = api({ credentials: undefined });
    try {
      const project = await a.getProject();
      expect(project.name).toBe(PROJECT);
      expect(fake.requests.at(-1)?.authorized).toBe(true);
    } finally {
      await a.close();
      if (saved === undefined) delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
      else process.env['GOOGLE_APPLICATION_CREDENTIALS'] = saved;
    }
  });

  it('reports a key the server does not accept as unauthenticated, without the key in the message', async () => {
    const other = makeServiceAccount(dir, PROJECT);
    const a = api({ credentials: other.keyFile });
    try {
      const error = await a.getProject().catch((e: unknown) => e);
      const ce = toContinuumError(error, 'read project', { project: PROJECT });
      expect(ce.code).toBe('GCP_UNAUTHENTICATED');
      expect(ce.message).not.toMatch(/PRIVATE KEY/);
      expect(JSON.stringify(ce.details)).not.toMatch(/PRIVATE KEY/);
      // The bearer token of the failed request must not travel with the error (gaxios redacts it).
      const cause = JSON.stringify(ce.cause, (_k, v: unknown) =>
        v instanceof Headers ? Object.fromEntries(v) : v,
      );
      expect(cause).toMatch(/authorization/i);
      expect(cause).not.toMatch(/Bearer ey/);
    } finally {
      await a.close();
    }
  });

  it('retries rate-limited calls and succeeds', async () => {
    const log = createMemoryLogger();
    const a = api({ log });
    try {
      fake.faults.push({
        method: 'POST',
        path: /^global\/firewalls$/,
        status: 429,
        reason: 'rateLimitExceeded',
        message: 'Rate Limit Exceeded',
        times: 2,
      });
      fake.faults.push({
        method: 'POST',
        path: /^global\/firewalls$/,
        status: 403,
        reason: 'rateLimitExceeded',
        message: 'Rate Limit Exceeded',
        times: 1,
      });
      await a.insertFirewall({
        name: 'continuum-aaaa-allow-ssh',
        description: 'continuum run run-a',
        network: `projects/${PROJECT}/global/networks/continuum-aaaa`,
        sourceRanges: ['203.0.113.7/32'],
        allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
      });
      expect(fake.firewalls.has('continuum-aaaa-allow-ssh')).toBe(true);
      expect(log.lines.filter((l) => /retry \d/.test(l.message))).toHaveLength(3);
    } finally {
      await a.close();
    }
  });

  it('turns quota, permission and zone-exhausted answers into clear errors', async () => {
    const a = api();
    const where = { project: PROJECT, zone: ZONE };
    try {
      fake.faults.push({
        method: 'POST',
        path: /instances$/,
        status: 403,
        reason: 'quotaExceeded',
        message: "Quota 'CPUS' exceeded.  Limit: 8.0 in region europe-west4.",
      });
      const quota = toContinuumError(
        await a.insertInstance(vm('continuum-aaaa-q', 'continuum-aaaa-cloud', {})).catch((e: unknown) => e),
        'create instance',
        where,
      );
      expect(quota.code).toBe('GCP_QUOTA_EXCEEDED');
      expect(quota.message).toMatch(/Quota 'CPUS' exceeded/);

      fake.faults.push({
        method: 'POST',
        path: /instances$/,
        operationError: {
          code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
          message:
            "The zone 'projects/x/zones/europe-west4-a' does not have enough resources available to fulfill the request.",
          httpStatus: 503,
        },
      });
      const zone = toContinuumError(
        await a.insertInstance(vm('continuum-aaaa-z', 'continuum-aaaa-cloud', {})).catch((e: unknown) => e),
        'create instance',
        where,
      );
      expect(zone.code).toBe('GCP_ZONE_EXHAUSTED');
      expect(fake.instances.has('continuum-aaaa-z')).toBe(false);

      fake.faults.push({
        method: 'GET',
        path: /^$/,
        status: 403,
        reason: 'forbidden',
        message: "Required 'compute.projects.get' permission for 'projects/continuum-test-1'",
      });
      const perm = toContinuumError(await a.getProject().catch((e: unknown) => e), 'read project', where);
      expect(perm.code).toBe('GCP_PERMISSION_DENIED');

      const missing = await a.getMachineType('e2-nonexistent-1').catch((e: unknown) => e);
      expect(classifyGcpError(missing).kind).toBe('not-found');
    } finally {
      await a.close();
    }
  });

  it('cleanByLabel deletes one run in dependency order, leaves other runs, and survives rate limits', async () => {
    // Firewall + instances of run-a exist from the tests above; a network still used by them must wait.
    fake.faults.push({
      method: 'DELETE',
      path: /instances\//,
      status: 429,
      reason: 'rateLimitExceeded',
      message: 'Rate Limit Exceeded',
      times: 3,
    });
    // A leftover disk of run-a whose instance never came up.
    fake.disks.set('continuum-aaaa-orphan', {
      name: 'continuum-aaaa-orphan',
      labels: { 'continuum-run': 'run-a' },
      zone: `${fake.url}/compute/v1/projects/${PROJECT}/zones/${ZONE}`,
      selfLink: 'x',
    });
    // A VM of run-a in another zone of the region (the config's zone changed since): found by label all the same.
    const other = api({ zone: 'europe-west4-b' });
    await other.insertInstance(
      vm('continuum-aaaa-cloud9', 'continuum-aaaa-cloud', { 'continuum-run': 'run-a' }),
    );
    await other.close();
    expect(String(fake.instances.get('continuum-aaaa-cloud9')?.['zone'])).toMatch(/zones\/europe-west4-b$/);
    const report = await cleanByLabel({
      project: PROJECT,
      zone: ZONE,
      credentials: sa.keyFile,
      runId: 'run-a',
      apiEndpoint: fake.url,
      retryBaseDelayMs: 5,
    });
    expect(report.errors.map((e) => [e.resource, e.code])).toEqual([
      ['subnetworks/continuum-aaaa-cloud', 'GCP_RESOURCE_IN_USE'],
      ['networks/continuum-aaaa', 'GCP_RESOURCE_IN_USE'],
    ]);
    expect(report.instances).toEqual([0, 1, 2, 3, 4, 9].map((i) => `continuum-aaaa-cloud${i}`));
    expect(fake.instances.has('continuum-aaaa-cloud9')).toBe(false);
    // Listed through aggregatedList (every zone), following nextPageToken.
    expect(fake.requests.filter((r) => r.path.endsWith('/aggregated/instances')).length).toBeGreaterThan(1);
    expect(report.disks).toEqual(['continuum-aaaa-orphan']);
    expect(report.firewalls).toEqual(['continuum-aaaa-allow-ssh']);
    // run-b's VM still uses the subnet: it is reported, not forced.
    expect(report.subnetworks).toEqual([]);
    expect(fake.instances.has('continuum-bbbb-cloud0')).toBe(true);
    // Without a run id every Continuum resource goes, in order, so the VPC can go too.
    const all = await cleanByLabel({
      project: PROJECT,
      zone: ZONE,
      credentials: sa.keyFile,
      apiEndpoint: fake.url,
      retryBaseDelayMs: 5,
    });
    expect(all.errors).toEqual([]);
    expect([
      fake.instances.size,
      fake.disks.size,
      fake.firewalls.size,
      fake.subnetworks.size,
      fake.networks.size,
    ]).toEqual([0, 0, 0, 0, 0]);
    // Idempotent.
    const again = await cleanByLabel({
      project: PROJECT,
      zone: ZONE,
      credentials: sa.keyFile,
      apiEndpoint: fake.url,
      retryBaseDelayMs: 5,
    });
    expect(again).toEqual({
      instances: [],
      disks: [],
      firewalls: [],
      subnetworks: [],
      networks: [],
      errors: [],
    });
  });
});
