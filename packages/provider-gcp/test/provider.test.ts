import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCapability } from '@continuum/plugin-api';
import { capabilityContract, createTestContext } from '@continuum/plugin-api/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import provider from '../src/index.js';
import type { GcpState } from '../src/index.js';
import { parseGcpOptions, type GcpOptions } from '../src/options.js';
import { startFakeCompute, type FakeCompute } from '../src/testing/fake-compute.js';
import { makeServiceAccount } from './support/credentials.js';
import { startSshd, type TestSshd } from './support/sshd.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const PROJECT = 'continuum-test-2';
const ZONE = 'us-central1-b';
const dir = mkdtempSync(join(tmpdir(), 'gcp-provider-test-'));
const sa = makeServiceAccount(dir, PROJECT);
let fake: FakeCompute;
let sshd: TestSshd;
let config: GcpOptions;

beforeAll(async () => {
  sshd = await startSshd(join(dir, 'sshd'));
  fake = await startFakeCompute({
    project: PROJECT,
    publicKeyPem: sa.publicKeyPem,
    pageSize: 3,
    bootPolls: 2,
    // Every "VM" is this machine's sshd; the key the provider put in the metadata is installed there.
    natIp: () => '127.0.0.1',
    onInstanceCreated: (instance) => {
      const items =
        (instance['metadata'] as { items?: { key: string; value: string }[] } | undefined)?.items ?? [];
      const sshKeys = items.find((i) => i.key === 'ssh-keys')?.value ?? '';
      sshd.addKey(sshKeys.slice(sshKeys.indexOf(':') + 1));
    },
    regionQuotas: {
      CPUS: { limit: 24, usage: 2 },
      INSTANCES: { limit: 100, usage: 1 },
      SSD_TOTAL_GB: { limit: 500, usage: 0 },
      IN_USE_ADDRESSES: { limit: 8, usage: 0 },
    },
    projectMetadata: { 'enable-oslogin': 'TRUE' },
    projectQuotas: {
      NETWORKS: { limit: 5, usage: 1 },
      FIREWALLS: { limit: 100, usage: 4 },
      SUBNETWORKS: { limit: 100, usage: 0 },
    },
  });
  config = parseGcpOptions({
    project: PROJECT,
    zone: ZONE,
    credentials: sa.keyFile,
    apiEndpoint: fake.url,
    sshSourceCidr: 'auto',
    ipEchoUrl: `${fake.url}/ip`,
    sshUser: sshd.user,
    sshPort: sshd.port,
    machineTypes: { cloud: 'e2-standard-2', edge: 'e2-small', endpoint: 'e2-micro' },
    timeouts: { readyS: 90, operationS: 60 },
  });
});

afterAll(async () => {
  await fake?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const context = (
  tiers = {
    cloud: { nodes: 2, cores: 2, memoryMiB: 8192 },
    edge: { nodes: 1, cores: 2, memoryMiB: 2048 },
    endpoint: { nodes: 2, cores: 2, memoryMiB: 1024 },
  },
) => createTestContext<GcpOptions, GcpState>({ config, tiers, withController: true, emulation: false });

describe('gcp provider against the local Compute server and a real sshd', () => {
  it('validate passes for a feasible run and names quota, machine type and image problems', async () => {
    const ctx = context();
    const ok = await provider.validate!(ctx);
    expect(ok.filter((d) => d.severity === 'error')).toEqual([]);

    const big = createTestContext<GcpOptions, GcpState>({
      config: parseGcpOptions({
        ...config,
        machineTypes: { cloud: 'n2-standard-8', edge: 'e2-nonexistent-9' },
        image: { project: 'ubuntu-os-cloud', family: 'ubuntu-1404' },
      }),
      tiers: { cloud: { nodes: 3 }, edge: { nodes: 1 } },
    });
    const bad = await provider.validate!(big);
    const text = bad.map((d) => `${d.severity} ${d.path}: ${d.message}`).join('\n');
    expect(text).toMatch(
      /error machineTypes.edge: machine type e2-nonexistent-9 is not offered in zone us-central1-b/,
    );
    expect(text).toMatch(/error image.family: image family ubuntu-os-cloud\/ubuntu-1404 does not exist/);
    expect(text).toMatch(
      /error infrastructure: quota CPUS in us-central1: the run needs 24, 22 of 24 are free/,
    );
    expect(text).toMatch(/warning machineTypes.cloud: n2-standard-8 has 8 vCPUs/);
    expect(text).toMatch(/warning project: project continuum-test-2 enables OS Login/);
  });

  it('validate reports a permission problem on the project instead of crashing', async () => {
    fake.faults.push({
      method: 'GET',
      path: /^$/,
      status: 403,
      reason: 'forbidden',
      message: "Required 'compute.projects.get' permission for 'projects/continuum-test-2'",
    });
    const diags = await provider.validate!(context());
    expect(diags.map((d) => [d.severity, d.path])).toEqual([['error', 'project']]);
    expect(diags[0]?.message).toMatch(/compute.projects.get/);
    expect(diags[0]?.hint).toMatch(/roles\/compute/);
  });

  it('plan lists every resource and the hourly estimate', async () => {
    const items = await provider.plan!(context());
    expect(items.map((i) => i.resource)).toEqual([
      'gcp-network',
      'gcp-subnetwork',
      'gcp-subnetwork',
      'gcp-subnetwork',
      'gcp-firewall',
      'gcp-firewall',
      ...Array.from({ length: 5 }, () => 'gcp-instance'),
      'cost-estimate',
    ]);
    expect(items.at(-1)?.details?.['usdPerHour']).toBeGreaterThan(0);
  });

  it('provisions VPC, subnets, firewall rules and VMs, reaches them over SSH, re-attaches, and tears down from state alone', async () => {
    const ctx = context();
    const infra = await provider.provision(ctx);
    try {
      expect(infra.provider).toBe('gcp');
      expect(infra.nodes.map((n) => n.name)).toEqual([
        'cloud_controller',
        'cloud0',
        'edge0',
        'endpoint0',
        'endpoint1',
      ]);
      for (const n of infra.nodes) {
        // Links use internal addresses; people and the framework reach VMs on the external one.
        expect(n.address).toMatch(
          n.tier === 'cloud' ? /^10\.0\.0\./ : n.tier === 'edge' ? /^10\.0\.1\./ : /^10\.0\.2\./,
        );
        expect(n.access).toMatchObject({ kind: 'ssh', host: '127.0.0.1', port: sshd.port, user: sshd.user });
      }
      // Write-ahead: the first saved state already names every resource, before any was created.
      const first = ctx.savedStates[0];
      expect(first?.phase).toBe('creating');
      expect(first?.network).toMatch(/^continuum-/);
      expect(first?.instances.map((i) => i.node)).toEqual([
        'cloud_controller',
        'cloud0',
        'edge0',
        'endpoint0',
        'endpoint1',
      ]);
      expect(JSON.stringify(ctx.savedStates)).not.toMatch(/PRIVATE KEY|private_key/);
      const keyFile = ctx.savedStates[0]?.keyFile ?? '';
      expect(statSync(keyFile).mode & 0o077).toBe(0);
      // SSH only from "our" address, as the IP echo reported it; internal traffic only from the subnets.
      const ssh = [...fake.firewalls.values()].find((f) => String(f['name']).endsWith('allow-ssh'));
      expect(ssh?.['sourceRanges']).toEqual(['127.0.0.1/32']);
      const internal = [...fake.firewalls.values()].find((f) => String(f['name']).endsWith('allow-internal'));
      expect(internal?.['sourceRanges']).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']);
      // Labels carry the run id, and the machine type follows the tier.
      const edge = [...fake.instances.values()].find(
        (i) => (i['labels'] as Record<string, string>)['continuum-node'] === 'edge0',
      );
      expect(edge?.['labels']).toMatchObject({ 'continuum-run': ctx.run.id });
      expect(String(edge?.['machineType'])).toMatch(/machineTypes\/e2-small$/);
      expect(infra.emulation.backend).toBe('none');

      const nodes = await provider.attach(ctx, JSON.parse(JSON.stringify(infra)) as typeof infra);
      try {
        const res = await nodes[2]!.exec(
          ['sh', '-c', 'printf "%s|%s" "$1" "$GREETING"', 'sh', "it's $HOME; `x`"],
          { env: { GREETING: 'hi there' } },
        );
        expect(res.stdout).toBe("it's $HOME; `x`|hi there");
      } finally {
        await Promise.all(nodes.map((n) => n.dispose?.() ?? Promise.resolve()));
      }
    } finally {
      // A new process only has the state file.
      const fresh = createTestContext<GcpOptions, GcpState>({ config, state: ctx.state.get() as GcpState });
      await provider.teardown(fresh);
      await provider.teardown(fresh);
    }
    expect([
      fake.instances.size,
      fake.disks.size,
      fake.firewalls.size,
      fake.subnetworks.size,
      fake.networks.size,
    ]).toEqual([0, 0, 0, 0, 0]);
  });

  it('stops with a clear quota error when a VM cannot be created, and teardown removes what was made', async () => {
    const ctx = context({
      cloud: { nodes: 1, cores: 2, memoryMiB: 8192 },
      edge: { nodes: 0, cores: 1, memoryMiB: 512 },
      endpoint: { nodes: 3, cores: 2, memoryMiB: 1024 },
    });
    fake.faults.push({
      method: 'POST',
      path: /instances$/,
      status: 403,
      reason: 'quotaExceeded',
      message: "Quota 'IN_USE_ADDRESSES' exceeded.  Limit: 8.0 in region us-central1.",
    });
    const error = (await provider.provision(ctx).catch((e: unknown) => e)) as {
      code?: string;
      message?: string;
      hint?: string;
    };
    expect(error.code).toBe('GCP_QUOTA_EXCEEDED');
    expect(error.message).toMatch(
      /create instance continuum-[a-z0-9-]+ \(e2-[a-z0-9-]+\) for node \w+ failed in project continuum-test-2, zone us-central1-b: Quota 'IN_USE_ADDRESSES' exceeded/,
    );
    expect(error.hint).toMatch(/quota/i);
    expect(fake.instances.size).toBe(3);
    await provider.teardown(ctx);
    expect([fake.instances.size, fake.firewalls.size, fake.subnetworks.size, fake.networks.size]).toEqual([
      0, 0, 0, 0,
    ]);
  });
});

describe('clean (continuum clean --provider gcp)', () => {
  it('finds a crashed run by label without its state, reports in dry-run, then removes it', async () => {
    const ctx = context({
      cloud: { nodes: 1, cores: 2, memoryMiB: 8192 },
      edge: { nodes: 1, cores: 2, memoryMiB: 2048 },
      endpoint: { nodes: 0, cores: 1, memoryMiB: 512 },
    });
    await provider.provision(ctx);
    // The run directory is gone: a fresh context with no state, only the config.
    const fresh = createTestContext<GcpOptions, GcpState>({ config });
    const dry = await provider.clean!(fresh, { runId: ctx.run.id, dryRun: true });
    expect(dry.removed.map((r) => r.resource).sort()).toEqual([
      'gcp-firewall',
      'gcp-firewall',
      'gcp-instance',
      'gcp-instance',
      'gcp-network',
      'gcp-subnetwork',
      'gcp-subnetwork',
    ]);
    expect(fake.instances.size).toBe(2);
    const other = await provider.clean!(fresh, { runId: 'some-other-run' });
    expect(other).toEqual({ removed: [], errors: [] });
    const done = await provider.clean!(fresh, { runId: ctx.run.id });
    expect(done.errors).toEqual([]);
    expect(done.removed).toHaveLength(7);
    expect([
      fake.instances.size,
      fake.disks.size,
      fake.firewalls.size,
      fake.subnetworks.size,
      fake.networks.size,
    ]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('capability contract', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    continuum: Parameters<typeof capabilityContract>[0]['manifest'];
  };
  it('exports a branded provider', () => expect(isCapability(provider)).toBe(true));
  it('publishes a JSON Schema of its options for editors', () => {
    const schema = provider.jsonSchema!() as { properties?: Record<string, unknown>; required?: string[] };
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['project', 'zone', 'credentials', 'machineTypes', 'sshSourceCidr']),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['project', 'zone']));
  });
  for (const c of capabilityContract({
    manifest: pkg.continuum,
    load: () => import('../src/index.js'),
    makeContext: () =>
      createTestContext({ config: parseGcpOptions({ project: 'continuum-123456', zone: 'us-central1-a' }) }),
    validOptions: { gcp: { project: 'continuum-123456', zone: 'us-central1-a' } },
  })) {
    it(c.name, c.run);
  }
});
