import { availableParallelism } from 'node:os';
import { ContinuumError, defineProvider, runTag } from '@continuum/plugin-api';
import type { Context, Diagnostic, PlanItem } from '@continuum/plugin-api';
import { planAddresses } from './address-plan.js';
import { cgroupValues, detectCgroupLayout } from './cgroups.js';
import { hasNetAdmin, toolAvailable } from './host-probe.js';
import { runNames } from './naming.js';
import { attachNode } from './nodes.js';
import { localOptionsSchema } from './options.js';
import type { LocalOptions } from './options.js';
import { provisionNetns, provisionProcess } from './provision.js';
import { existsSync } from 'node:fs';
import { relayBinaryPath } from './relay.js';
import { egressLinks } from './shaping.js';
import type { LocalState } from './state.js';
import { allRunTags, cleanRunByTag, listRunLeftovers, teardownLocal } from './teardown.js';

type Ctx = Context<LocalOptions, LocalState>;

/** netns when asked or when privileged; otherwise plain processes (with the reason, for the warning). */
export function resolveMode(
  options: LocalOptions,
  privileged: boolean,
): { mode: 'netns' | 'process'; reason: string } {
  if (options.mode === 'process') return { mode: 'process', reason: 'options.mode is "process"' };
  if (options.mode === 'netns') return { mode: 'netns', reason: 'options.mode is "netns"' };
  return privileged
    ? { mode: 'netns', reason: 'running with CAP_NET_ADMIN' }
    : { mode: 'process', reason: 'not running as root (no CAP_NET_ADMIN)' };
}

function hostCores(ctx: Ctx): number {
  return Math.max(ctx.host.cores, 1) || availableParallelism();
}

/** Diagnostics that do not touch the system (also used before provision as a guard). */
export function checkTopology(ctx: Ctx): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const cores = hostCores(ctx);
  for (const tier of ['cloud', 'edge', 'endpoint'] as const) {
    const spec = ctx.topology.tiers[tier];
    if (spec.nodes > 0 && spec.cores > cores) {
      diagnostics.push({
        severity: 'error',
        path: `infrastructure.${tier}.cores`,
        message: `${tier} nodes ask for ${spec.cores} cores but this host has ${cores}.`,
        hint: `Set infrastructure.${tier}.cores to at most ${cores} (fractions allowed) or use a bigger host.`,
      });
    }
    if (spec.nodes > 0 && ctx.host.memoryMiB > 0 && spec.memoryMiB > ctx.host.memoryMiB) {
      diagnostics.push({
        severity: 'warning',
        path: `infrastructure.${tier}.memory`,
        message: `${tier} nodes may use ${spec.memoryMiB} MiB each but this host has ${ctx.host.memoryMiB} MiB; the limit cannot be reached.`,
      });
    }
    if (spec.nodes > 0 && (spec.diskReadMBps > 0 || spec.diskWriteMBps > 0)) {
      diagnostics.push({
        severity: 'warning',
        path: `infrastructure.${tier}.readSpeed`,
        message: `Disk throttles for ${tier} nodes are not enforced by the local provider (nodes share the host filesystem).`,
      });
    }
  }
  return diagnostics;
}

const provider = defineProvider<LocalOptions, LocalState>({
  name: 'local',
  description: 'Nodes as Linux network namespaces with emulated links (root), or plain processes',
  configSchema: localOptionsSchema,
  stateVersion: 1,

  validate(ctx) {
    const diagnostics = checkTopology(ctx);
    const privileged = hasNetAdmin();
    const { mode, reason } = resolveMode(ctx.config, privileged);
    if (mode === 'netns' && !privileged) {
      diagnostics.push({
        severity: 'error',
        path: 'providers.options.mode',
        message: 'mode "netns" needs root or CAP_NET_ADMIN to create network namespaces.',
        hint: 'Run as root (sudo), or set mode: process / auto to run nodes as plain processes without emulation.',
      });
    }
    if (mode === 'process') {
      diagnostics.push({
        severity: 'warning',
        path: 'providers.options.mode',
        message: `Nodes will run as plain processes (${reason}): links are not emulated and CPU/memory limits are not enforced.`,
        hint: 'Run as root to get network namespaces with emulated links.',
      });
      return Promise.resolve(diagnostics);
    }
    for (const [tool, argv, pkg] of [
      ['ip', ['ip', '-V'], 'iproute2'],
      ['tc', ['tc', '-V'], 'iproute2'],
    ] as const) {
      if (!toolAvailable(argv))
        diagnostics.push({
          severity: 'error',
          message: `${tool} is not installed.`,
          hint: `apt-get install ${pkg}`,
        });
    }
    if (ctx.topology.network.emulation && !toolAvailable(['ping', '-V'])) {
      diagnostics.push({
        severity: 'warning',
        message: 'ping is not installed: the emulated links cannot be validated.',
        hint: 'apt-get install iputils-ping',
      });
    }
    if (ctx.topology.network.emulation && ctx.config.delay !== 'netem' && !existsSync(relayBinaryPath())) {
      diagnostics.push({
        severity: 'warning',
        message: `The userspace delay relay is not built (${relayBinaryPath()}); kernels without netem cannot emulate delay.`,
        hint: 'Build the package with a C compiler present (apt-get install gcc libc6-dev; npm run build).',
      });
    }
    if (detectCgroupLayout().version === 'none') {
      diagnostics.push({
        severity: 'warning',
        message: 'No cgroup hierarchy with cpu and memory controllers: node limits will not be enforced.',
      });
    }
    try {
      planAddresses(ctx.config.subnet ?? '10.100.0.0/16', ctx.topology.nodes);
    } catch (error) {
      diagnostics.push({ severity: 'error', message: (error as Error).message });
    }
    return Promise.resolve(diagnostics);
  },

  plan(ctx) {
    const { mode, reason } = resolveMode(ctx.config, hasNetAdmin());
    if (mode === 'process') {
      return Promise.resolve(
        ctx.topology.nodes.map((n): PlanItem => ({
          resource: 'process-node',
          name: n.name,
          details: { tier: n.tier, emulated: false, reason },
        })),
      );
    }
    const names = runNames(runTag(ctx.run.id));
    const emulate = ctx.topology.network.emulation;
    const items: PlanItem[] = [
      { resource: 'netns', name: names.hub, details: { role: 'hub: the run bridge and its ports' } },
      { resource: 'bridge', name: names.bridge, details: { namespace: names.hub } },
    ];
    if (emulate && ctx.config.delay !== 'netem') {
      items.push({
        resource: 'process',
        name: 'continuum-relay',
        details: { role: 'userspace delay relay (used when the kernel lacks netem)' },
      });
    }
    ctx.topology.nodes.forEach((n, i) => {
      const v = cgroupValues(n.limits);
      items.push({
        resource: 'netns',
        name: names.namespace(n.name),
        details: { tier: n.tier, role: n.role },
      });
      const relay = emulate && ctx.config.delay === 'relay';
      items.push({
        resource: relay ? 'tap' : 'veth',
        name: relay ? names.bridgeTap(i) : names.hostVeth(i),
        details: { node: n.name, namespace: names.hub },
      });
      items.push({
        resource: 'cgroup',
        name: names.cgroupNode(n.name),
        details: { cpuQuotaUs: v.cfsQuotaUs, cpuPeriodUs: v.cfsPeriodUs, memoryBytes: v.memoryBytes },
      });
      if (emulate) {
        for (const l of egressLinks(ctx.topology.network.links, n.tier)) {
          items.push({
            resource: 'qdisc',
            name: `${names.namespace(n.name)}/eth0 -> ${l.to}`,
            details: {
              rateMbit: l.rateMbit,
              latencyMs: l.latencyMs,
              jitterMs: l.jitterMs,
              lossPct: l.lossPct,
            },
          });
        }
      }
    });
    return Promise.resolve(items);
  },

  async provision(ctx) {
    const errors = checkTopology(ctx).filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      const first = errors[0] as Diagnostic;
      throw new ContinuumError(
        'LOCAL_BAD_TOPOLOGY',
        errors.map((e) => `${e.path ?? ''}: ${e.message}`).join('\n'),
        first.hint ? { hint: first.hint } : {},
      );
    }
    const privileged = hasNetAdmin();
    const { mode, reason } = resolveMode(ctx.config, privileged);
    if (mode === 'netns' && !privileged) {
      throw new ContinuumError(
        'LOCAL_NOT_PRIVILEGED',
        'providers.options.mode is "netns" but this process has no CAP_NET_ADMIN.',
        {
          hint: 'Run as root, or use mode: auto/process.',
        },
      );
    }
    return mode === 'netns' ? provisionNetns(ctx) : provisionProcess(ctx, reason);
  },

  attach(_ctx, infrastructure) {
    return Promise.resolve(infrastructure.nodes.map(attachNode));
  },

  teardown: (ctx) => teardownLocal(ctx),

  async clean(_ctx, options) {
    const tags = options.runId !== undefined ? [runTag(options.runId)] : await allRunTags();
    const removed: { resource: string; name: string }[] = [];
    const errors: { resource: string; name: string; message: string }[] = [];
    for (const tag of tags) {
      if (options.dryRun === true) {
        const left = await listRunLeftovers(tag);
        removed.push(
          ...left.namespaces.map((name) => ({ resource: 'netns', name })),
          ...left.links.map((name) => ({ resource: 'link', name })),
        );
        continue;
      }
      try {
        const result = await cleanRunByTag(tag);
        removed.push(
          ...result.removed.map((r) => {
            const [resource = 'resource', ...rest] = r.split(' ');
            return { resource, name: rest.join(' ') };
          }),
        );
      } catch (error) {
        errors.push({ resource: 'run', name: tag, message: (error as Error).message });
      }
    }
    return { removed, errors };
  },
});

export default provider;
export { localOptionsSchema, type LocalOptions } from './options.js';
export type { LocalState } from './state.js';
export { cleanRunByTag, listRunLeftovers } from './teardown.js';
