import { join } from 'node:path';
import { ContinuumError, runTag } from '@continuum/plugin-api';
import type { Context, EmulationReport, Infrastructure, Json, NodeInfo, Tier } from '@continuum/plugin-api';
import {
  hostManagementAddress,
  hostPrefixesFromIpJson,
  parseCidr,
  pickSubnet,
  planAddresses,
} from './address-plan.js';
import type { PlannedNode } from './address-plan.js';
import {
  createNodeCgroup,
  detectCgroupLayout,
  enableV2Controllers,
  nodeCgroupDirs,
  runCgroupDirs,
} from './cgroups.js';
import { checkEmulation } from './check-emulation.js';
import { mapLimit, run } from './exec.js';
import { probeNetem } from './host-probe.js';
import { attachNode } from './nodes.js';
import type { LocalNodeDetails } from './nodes.js';
import type { LocalOptions } from './options.js';
import { ensureRelayBinary, relayBinaryPath, startRelay } from './relay.js';
import { relayConfig, relayRules, tcBatch } from './shaping.js';
import type { DelayBackend } from './shaping.js';
import { runNames } from './naming.js';
import type { RunNames } from './naming.js';
import type { LocalState } from './state.js';
import { emptyState } from './state.js';

type Ctx = Context<LocalOptions, LocalState>;

/** Parallel `ip`/`tc` processes: they mostly wait on the kernel (netns switch, sysfs mount), so 8 beat 4 even on 2 cores. */
const PARALLEL = 8;

const elapsed = (t0: number): number => Math.round(performance.now() - t0) / 1000;

async function chooseDelayBackend(
  ctx: Ctx,
  state: LocalState,
  scratch: [string, string],
): Promise<{ backend: DelayBackend; netemError?: string }> {
  if (!ctx.topology.network.emulation) return { backend: 'none' };
  if (ctx.config.delay === 'relay') return { backend: 'userspace-relay' };
  state.links.push(...scratch);
  await ctx.state.set(state);
  const probe = await probeNetem(scratch);
  state.links = state.links.filter((l) => !scratch.includes(l));
  await ctx.state.set(state);
  if (probe.available) return { backend: 'netem' };
  if (ctx.config.delay === 'netem') {
    throw new ContinuumError(
      'LOCAL_NO_NETEM',
      `options.delay is "netem" but this kernel has no netem qdisc (${probe.error ?? 'unknown error'}).`,
      {
        hint: 'Use delay: relay (or auto) to emulate delay with the userspace relay.',
      },
    );
  }
  return probe.error === undefined
    ? { backend: 'userspace-relay' }
    : { backend: 'userspace-relay', netemError: probe.error };
}

async function chooseSubnet(ctx: Ctx, tag: string): Promise<string> {
  if (ctx.config.subnet !== undefined) return ctx.config.subnet;
  const routes = await run(['ip', '-j', 'route', 'show', 'table', 'all'], { check: false });
  const addrs = await run(['ip', '-j', 'addr'], { check: false });
  return pickSubnet(tag, hostPrefixesFromIpJson(routes.stdout, addrs.stdout));
}

/**
 * Attach the host to the run bridge with an address in the run subnet (see RunNames.management):
 * without it the host would route node addresses through its default gateway.
 */
async function connectHost(names: RunNames, subnet: string): Promise<void> {
  const [hostEnd, hubEnd] = names.management;
  const prefix = parseCidr(subnet).prefix;
  await run(['ip', '-batch', '-'], {
    input:
      [
        `link add ${hostEnd} type veth peer name ${hubEnd} netns ${names.hub}`,
        `link set ${hostEnd} addrgenmode none`,
        `addr add ${hostManagementAddress(subnet)}/${prefix} dev ${hostEnd}`,
        `link set ${hostEnd} up`,
      ].join('\n') + '\n',
  });
  await run(['ip', '-n', names.hub, '-batch', '-'], {
    input: `link set ${hubEnd} master ${names.bridge} up\n`,
  });
}

export async function provisionNetns(ctx: Ctx): Promise<Infrastructure> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const tag = runTag(ctx.run.id);
  const names = runNames(tag);
  const state: LocalState = { ...emptyState(tag, 'netns'), ...(ctx.state.get() ?? {}), tag, mode: 'netns' };
  await ctx.state.set(state);

  if (ctx.topology.nodes.length === 0) {
    return {
      provider: 'local',
      nodes: [],
      emulation: { backend: 'none', measurements: [], warnings: [] },
      details: { mode: 'netns', runTag: tag },
    };
  }
  const { backend, netemError } = await chooseDelayBackend(ctx, state, names.scratch);
  timings['detectSeconds'] = elapsed(t0);
  const subnet = await chooseSubnet(ctx, tag);
  const planned = planAddresses(subnet, ctx.topology.nodes);
  const links = ctx.topology.network.emulation ? ctx.topology.network.links : [];
  const useRelay = backend === 'userspace-relay';

  // Write-ahead: everything the network setup creates, before creating any of it.
  state.subnet = subnet;
  state.bridge = names.bridge;
  state.namespaces = [names.hub, ...planned.map((n) => names.namespace(n.name))];
  state.links.push(names.management[0]);
  if (useRelay) {
    state.relay = {
      binary: ensureRelayBinary(relayBinaryPath()),
      configFile: join(ctx.workDir, `relay-${tag}.conf`),
      logFile: join(ctx.workDir, `relay-${tag}.log`),
    };
  }
  await ctx.state.set(state);

  let t = performance.now();
  await run(['ip', '-batch', '-'], {
    input: `${state.namespaces.map((ns) => `netns add ${ns}`).join('\n')}\n`,
  });
  const hubBatch = [
    `link add ${names.bridge} type bridge`,
    `link set ${names.bridge} up`,
    ...(useRelay
      ? []
      : planned.flatMap((n) => [
          `link add ${names.hostVeth(n.ordinal)} type veth peer name eth0 netns ${names.namespace(n.name)}`,
          `link set ${names.hostVeth(n.ordinal)} master ${names.bridge} up`,
        ])),
  ];
  await run(['ip', '-n', names.hub, '-batch', '-'], { input: `${hubBatch.join('\n')}\n` });
  await connectHost(names, subnet);
  timings['namespacesSeconds'] = elapsed(t);

  t = performance.now();
  let relayScheduling: string | undefined;
  if (useRelay && state.relay) {
    // The relay creates eth0 in every node namespace (address, up) and the bridge ports in the hub.
    const pairs = planned.map((n) => ({
      namespacePath: `/run/netns/${names.namespace(n.name)}`,
      address: `${n.address}/16`,
      bridgeTap: names.bridgeTap(n.ordinal),
      rules: relayRules(subnet, n.tier, links),
    }));
    const seed = [...tag].reduce((acc, ch) => (acc * 33 + ch.charCodeAt(0)) % 2 ** 31, 5381);
    const started = await startRelay(
      state.relay,
      relayConfig({ namespacePath: `/run/netns/${names.hub}`, bridge: names.bridge }, pairs, seed),
    );
    state.relay = {
      ...state.relay,
      pid: started.pid,
      ...(started.startTime ? { startTime: started.startTime } : {}),
    };
    await ctx.state.set(state);
    relayScheduling = started.scheduling;
  }
  timings['linksSeconds'] = elapsed(t);

  t = performance.now();
  await mapLimit(planned, PARALLEL, async (n) => {
    const ns = names.namespace(n.name);
    if (!useRelay) {
      const inside = [
        // No IPv6 link-local address: no DAD/router-solicitation chatter through the links.
        'link set eth0 addrgenmode none',
        `addr add ${n.address}/16 dev eth0`,
        'link set eth0 up',
        'link set lo up',
      ];
      await run(['ip', '-n', ns, '-batch', '-'], { input: `${inside.join('\n')}\n` });
    }
    const tc = tcBatch({ dev: 'eth0', subnet, from: n.tier, links, backend });
    if (tc.length > 0) await run(['tc', '-n', ns, '-batch', '-'], { input: `${tc.join('\n')}\n` });
  });
  timings['shapingSeconds'] = elapsed(t);

  t = performance.now();
  const layout = detectCgroupLayout();
  const warnings: string[] = [];
  if (relayScheduling === 'normal') {
    warnings.push(
      'The delay relay runs at normal priority (SCHED_FIFO refused): on a loaded host, delays get extra error and jitter.',
    );
  }
  if (layout.version === 'none') {
    warnings.push(`CPU and memory limits are NOT enforced: ${layout.reason}.`);
  } else {
    state.cgroupParents = runCgroupDirs(layout, names.cgroupRun);
    state.cgroups = planned.flatMap((n) => nodeCgroupDirs(layout, names.cgroupNode(n.name)));
    await ctx.state.set(state);
    enableV2Controllers(layout, names.cgroupRun);
    for (const n of planned) createNodeCgroup(layout, names.cgroupNode(n.name), n.limits);
  }
  timings['cgroupsSeconds'] = elapsed(t);
  timings['deploySeconds'] = elapsed(t0);

  const infos = planned.map((n) =>
    nodeInfo(
      n,
      names.namespace(n.name),
      layout.version === 'none' ? [] : nodeCgroupDirs(layout, names.cgroupNode(n.name)),
    ),
  );
  const emulation: EmulationReport = {
    backend,
    ...(backend === 'none' ? {} : { rateBackend: 'htb' }),
    measurements: [],
    warnings,
  };
  if (netemError !== undefined)
    ctx.log.info(`kernel has no netem (${netemError}); link delay uses the userspace relay`);
  if (backend === 'none')
    warnings.push('Link emulation is off (infrastructure.network.emulation: false): links are unshaped.');

  // The config's network section decides what is measured; provider options only tune how.
  const v = {
    ...ctx.config.validation,
    rtt: ctx.config.validation.rtt && (ctx.topology.network.validate ?? true),
    throughput: ctx.config.validation.throughput && (ctx.topology.network.throughput ?? true),
  };
  let throughputTool: string | undefined;
  if (backend !== 'none' && (v.rtt || v.throughput)) {
    t = performance.now();
    ctx.log.progress('measuring emulated links');
    const nodes = infos.map(attachNode);
    const check = await checkEmulation(nodes, links, {
      backend,
      pings: v.pings,
      pingIntervalS: v.pingIntervalS,
      throughput: v.throughput,
      throughputSeconds: v.throughputSeconds,
      signal: ctx.signal,
    });
    emulation.measurements = v.rtt
      ? check.measurements
      : check.measurements.map((m) => ({ ...m, measuredRttMs: null }));
    warnings.push(...check.warnings);
    throughputTool = check.throughputTool;
    timings['validationSeconds'] = elapsed(t);
  }
  for (const w of warnings) ctx.log.warn(w);

  const details: Record<string, Json> = {
    mode: 'netns',
    subnet,
    bridge: names.bridge,
    runTag: tag,
    delayBackend: backend,
    cgroups: layout.version === 'none' ? 'none' : `v${layout.version}`,
    timings,
  };
  if (state.relay?.pid !== undefined) details['relayPid'] = state.relay.pid;
  if (relayScheduling !== undefined) details['relayScheduling'] = relayScheduling;
  if (throughputTool !== undefined) details['throughputTool'] = throughputTool;
  return { provider: 'local', nodes: infos, emulation, details };
}

function nodeInfo(n: PlannedNode, namespace: string, cgroups: string[]): NodeInfo {
  const details: LocalNodeDetails = { namespace, cgroups, iface: 'eth0' };
  return {
    name: n.name,
    tier: n.tier,
    role: n.role,
    address: n.address,
    limits: n.limits,
    access: { kind: 'netns', namespace, shell: `ip netns exec ${namespace} bash` },
    sharesHostFilesystem: true,
    details: details as Record<string, unknown>,
  };
}

/**
 * Without privileges (or with mode: process) every node is the host itself. Each gets its own
 * loopback address (127.77.<tier>.<n>) so services on the same port (a broker per edge node) can
 * coexist when they bind to the node's address. Nothing is created, so there is nothing to tear down.
 */
export async function provisionProcess(ctx: Ctx, reason: string): Promise<Infrastructure> {
  const tag = runTag(ctx.run.id);
  await ctx.state.set(emptyState(tag, 'process'));
  const tierIndex: Record<Tier, number> = { cloud: 0, edge: 1, endpoint: 2 };
  const counters: Record<Tier, number> = { cloud: 0, edge: 0, endpoint: 0 };
  const nodes: NodeInfo[] = ctx.topology.nodes.map((n) => {
    const i = counters[n.tier]++;
    if (i > 250 * 200)
      throw new ContinuumError('LOCAL_TOO_MANY_NODES', `Too many ${n.tier} nodes for process mode.`);
    const address = `127.77.${tierIndex[n.tier] * 64 + Math.floor(i / 250)}.${(i % 250) + 2}`;
    return {
      name: n.name,
      tier: n.tier,
      role: n.role,
      address,
      limits: n.limits,
      access: { kind: 'process', shell: 'bash' },
      sharesHostFilesystem: true,
      details: {},
    };
  });
  const warnings = [
    `Nodes run as plain processes on this host (${reason}): links are NOT emulated and CPU/memory limits are NOT enforced. Results do not reflect the configured network.`,
  ];
  for (const w of warnings) ctx.log.warn(w);
  return {
    provider: 'local',
    nodes,
    emulation: { backend: 'none', measurements: [], warnings },
    details: { mode: 'process', runTag: tag, reason },
  };
}
