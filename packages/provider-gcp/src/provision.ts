import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContinuumError, runTag } from '@continuum/plugin-api';
import type { Context, Infrastructure, Json, Node, NodeInfo } from '@continuum/plugin-api';
import { applyGuestEmulation } from './emulation.js';
import type { ComputeApi, Instance } from './gcp/compute-api.js';
import { classifyGcpError, toContinuumError } from './gcp/errors.js';
import { firewallBody, instanceAddresses, instanceBody, networkBody, subnetBody } from './gcp/resources.js';
import { mapLimit, sleep } from './gcp/retry.js';
import type { GcpOptions } from './options.js';
import type { GcpPlan } from './plan.js';
import { createSshNode, generateSshKeyPair, waitForSsh } from './ssh-node.js';

/** What teardown needs, written before each resource is created. Never holds credentials. */
export interface GcpState {
  version: 1;
  runId: string;
  project: string;
  region: string;
  zone: string;
  network: string;
  subnetworks: string[];
  firewalls: string[];
  instances: { node: string; name: string }[];
  keyFile?: string;
  phase: 'planned' | 'creating' | 'created' | 'deleted';
}

export function initialState(plan: GcpPlan): GcpState {
  return {
    version: 1,
    runId: plan.runId,
    project: plan.project,
    region: plan.region,
    zone: plan.zone,
    network: plan.network,
    subnetworks: plan.subnets.map((s) => s.name),
    firewalls: plan.firewalls.map((f) => f.name),
    instances: plan.instances.map((i) => ({ node: i.node, name: i.name })),
    phase: 'planned',
  };
}

/** Create, treating "already exists" as done: provisioning can be resumed after a crash. */
async function ensure(what: string, create: () => Promise<unknown>): Promise<'created' | 'existed'> {
  try {
    await create();
    return 'created';
  } catch (error) {
    if (classifyGcpError(error).kind === 'exists') return 'existed';
    throw error;
  }
}

async function waitRunning(
  api: ComputeApi,
  name: string,
  deadline: number,
  signal?: AbortSignal,
): Promise<Instance> {
  let pause = 1000;
  for (;;) {
    const instance = await api.getInstance(name);
    if (instance.status === 'RUNNING') {
      const { internal } = instanceAddresses(instance);
      if (internal !== undefined) return instance;
    }
    if (
      instance.status === 'TERMINATED' ||
      instance.status === 'STOPPED' ||
      instance.status === 'SUSPENDED'
    ) {
      throw new ContinuumError(
        'GCP_INSTANCE_STOPPED',
        `Instance ${name} is ${instance.status} instead of RUNNING.`,
        {
          hint: 'Look at its serial console output in the Compute Engine console.',
        },
      );
    }
    if (Date.now() > deadline) {
      throw new ContinuumError(
        'GCP_TIMEOUT',
        `Instance ${name} is still ${instance.status ?? 'unknown'} after the ready timeout.`,
        {
          hint: 'Raise options.timeouts.readyS.',
        },
      );
    }
    await sleep(pause, signal);
    pause = Math.min(pause * 1.5, 5000);
  }
}

export interface ProvisionDeps {
  api: ComputeApi;
  plan: GcpPlan;
  options: GcpOptions;
  /** SSH source CIDR, already resolved (no `auto`). */
  sshSourceCidr: string;
}

/**
 * Network → subnets and firewall rules (parallel) → VMs (parallel, bounded) → RUNNING → SSH →
 * guest tc → measured latency matrix.
 */
export async function provisionGcp(
  ctx: Context<GcpOptions, GcpState>,
  deps: ProvisionDeps,
): Promise<Infrastructure> {
  const { api, plan, options } = deps;
  const log = ctx.log;
  const where = { project: plan.project, zone: plan.zone };
  const started = Date.now();
  const deadline = started + options.timeouts.readyS * 1000;
  const signal = ctx.signal;

  // Key first: its path goes into the state so a later process can reach the nodes.
  const keyFile = join(ctx.workDir, 'id_ed25519');
  const key = await generateSshKeyPair(`continuum-${runTag(plan.runId)}`);
  writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(`${keyFile}.pub`, `${key.publicKey}\n`);

  const state: GcpState = { ...initialState(plan), keyFile, phase: 'creating' };
  await ctx.state.set(state);

  const step = async (doing: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      throw toContinuumError(error, doing, where);
    }
  };

  log.progress(`creating VPC ${plan.network}`);
  await step(`create network ${plan.network}`, () =>
    ensure('network', () => api.insertNetwork(networkBody(plan))),
  );
  const planWithCidr: GcpPlan = {
    ...plan,
    firewalls: plan.firewalls.map((f) =>
      f.purpose === 'ssh' ? { ...f, sourceRanges: [deps.sshSourceCidr] } : f,
    ),
  };
  log.progress(`creating ${plan.subnets.length} subnets and ${plan.firewalls.length} firewall rules`);
  const netResults = await Promise.allSettled([
    ...planWithCidr.subnets.map((s) =>
      step(`create subnetwork ${s.name}`, () =>
        ensure('subnet', () => api.insertSubnetwork(subnetBody(plan, s))),
      ),
    ),
    ...planWithCidr.firewalls.map((f) =>
      step(`create firewall ${f.name}`, () =>
        ensure('firewall', () => api.insertFirewall(firewallBody(plan, f))),
      ),
    ),
  ]);
  const netFailure = netResults.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (netFailure !== undefined) throw netFailure.reason;

  log.progress(`creating ${plan.instances.length} VMs`);
  const access = {
    sshUser: options.sshUser,
    publicKey: key.publicKey,
    externalIp: options.externalIps,
    image: options.image,
  };
  const created = await mapLimit(plan.instances, options.concurrency, async (instance) => {
    try {
      await ensure('instance', () => api.insertInstance(instanceBody(plan, instance, access)));
    } catch (error) {
      throw toContinuumError(
        error,
        `create instance ${instance.name} (${instance.machineType}) for node ${instance.node}`,
        where,
      );
    }
  });
  const failures = created
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => r.reason as ContinuumError);
  if (failures.length > 0) {
    const first = failures[0] as ContinuumError;
    const more =
      failures.length > 1
        ? ` (and ${failures.length - 1} more VMs failed: ${[...new Set(failures.map((f) => f.code))].join(', ')})`
        : '';
    throw new ContinuumError(first.code, `${first.message}${more}`, {
      ...(first.hint ? { hint: first.hint } : {}),
      cause: first,
      ...(first.details ? { details: first.details } : {}),
    });
  }

  log.progress(`waiting for ${plan.instances.length} VMs to run and accept SSH`);
  const infos = await mapLimit(
    plan.instances,
    Math.max(options.concurrency, 16),
    async (planned): Promise<NodeInfo> => {
      let instance: Instance;
      try {
        instance = await waitRunning(api, planned.name, deadline, signal);
      } catch (error) {
        throw toContinuumError(error, `wait for instance ${planned.name}`, where);
      }
      const { internal, external } = instanceAddresses(instance);
      const host = options.externalIps ? external : internal;
      if (internal === undefined || host === undefined) {
        throw new ContinuumError(
          'GCP_NO_ADDRESS',
          `Instance ${planned.name} has no ${options.externalIps ? 'external' : 'internal'} IP address.`,
        );
      }
      const hostKeySha256 = await waitForSsh(
        { host, port: options.sshPort, user: options.sshUser, keyFile },
        { deadline, signal },
      ).catch((error: unknown) => {
        const e = error as ContinuumError;
        throw new ContinuumError(e.code, `Node ${planned.node} (instance ${planned.name}): ${e.message}`, {
          ...(e.hint ? { hint: e.hint } : {}),
          cause: error,
        });
      });
      const spec = ctx.topology.nodes.find((n) => n.name === planned.node);
      return {
        name: planned.node,
        tier: planned.tier,
        role: planned.role,
        address: internal,
        limits: spec?.limits ?? { cores: 1, cpuQuota: 1, memoryMiB: 1024 },
        access: {
          kind: 'ssh',
          user: options.sshUser,
          host,
          port: options.sshPort,
          keyFile,
          shell: `ssh -i ${keyFile} -p ${options.sshPort} ${options.sshUser}@${host}`,
        },
        sharesHostFilesystem: false,
        details: {
          instance: planned.name,
          zone: plan.zone,
          machineType: planned.machineType,
          internalIp: internal,
          ...(external !== undefined ? { externalIp: external } : {}),
          hostKeySha256,
          sudo: true,
        },
      };
    },
  );
  const infoFailure = infos.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (infoFailure !== undefined) throw infoFailure.reason;
  const nodeInfos = infos.map((r) => (r as PromiseFulfilledResult<NodeInfo>).value);
  const readyMs = Date.now() - started;
  log.info(`${nodeInfos.length} VMs ready for SSH in ${(readyMs / 1000).toFixed(1)} s`);

  const nodes: Node[] = nodeInfos.map((info) => createSshNode(info));
  let emulation;
  try {
    emulation = await applyGuestEmulation(nodes, ctx.topology, {
      iface: options.guestInterface,
      log,
      signal,
    });
  } finally {
    await Promise.allSettled(nodes.map((n) => n.dispose?.() ?? Promise.resolve()));
  }
  await ctx.state.set({ ...state, phase: 'created' });
  const details: Record<string, Json> = {
    project: plan.project,
    zone: plan.zone,
    network: plan.network,
    sshSourceCidr: deps.sshSourceCidr,
    readyMs,
    estimatedUsdPerHour: plan.cost.perHourUsd,
  };
  return { provider: 'gcp', nodes: nodeInfos, emulation, details };
}
