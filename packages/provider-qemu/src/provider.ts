import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Context, Infrastructure, Node, NodeInfo, PlanItem, Diagnostic } from '@continuum/plugin-api';
import { ContinuumError, defineProvider, measureRttMatrix, runTag } from '@continuum/plugin-api';
import { judgeAgainstBaseline } from './net/judge.js';
import type { QemuOptions } from './config.js';
import { qemuOptionsSchema } from './config.js';
import { macFor, names, planAddresses } from './naming.js';
import type { QemuState } from './state.js';
import { emptyState } from './state.js';
import { assertMemoryFits, availableMemoryMiB, pinPlan } from './resources.js';
import { resolveImage } from './images/resolve.js';
import { probeKvm } from './vm/accel.js';
import type { AccelDecision } from './vm/accel.js';
import { ensureFrameworkKey } from './vm/key.js';
import type { VmSpec } from './vm/spec.js';
import { kernelCmdline } from './vm/spec.js';
import { createOverlay, createSeed } from './vm/disks.js';
import { runningQemuPid, startQemu } from './vm/qemu-process.js';
import { defineAndStart, libvirtReachable } from './vm/libvirt.js';
import { waitForSsh } from './vm/ready.js';
import { assertSubnetFree, createBridge, createTap, linkExists } from './net/host-net.js';
import { applyGuestLinks } from './net/apply-links.js';
import { createSshNode } from './node/ssh-node.js';
import { teardownFromState } from './teardown.js';
import { run, tryRun } from './exec.js';
import { natRuleset } from './net/host-net.js';
import { placeNodes, remoteHostPlan, sshArgv } from './net/remote.js';
import type { RemoteHostPlan } from './net/remote.js';

type Ctx = Context<QemuOptions, QemuState>;

const SSH_OPTS = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR';
/** TCG guests add 0.5-1.5 ms of noise idle and several ms busy (machine probes P2): extra RTT tolerance. */
const TCG_SLACK_MS = 3;

function options(ctx: Ctx): QemuOptions {
  // The core validates with configSchema; parsing again fills defaults when called directly (tests, bench).
  return qemuOptionsSchema.parse(ctx.config ?? {});
}

async function chooseBackend(o: QemuOptions, log: Ctx['log']): Promise<'qemu' | 'libvirt'> {
  if (o.externalHosts.length > 0) return 'libvirt';
  if (o.backend === 'qemu') return 'qemu';
  const reachable = await libvirtReachable(o.libvirtUri, o.backend === 'libvirt' ? 60_000 : 10_000);
  if (o.backend === 'libvirt' && !reachable) {
    throw new ContinuumError('QEMU_LIBVIRT_UNREACHABLE', `libvirt at ${o.libvirtUri} does not answer`, {
      hint: 'Start libvirtd (and virtlogd), or set options.backend: qemu to run plain QEMU with pidfiles',
    });
  }
  log.debug(`libvirt ${reachable ? 'reachable' : 'not reachable'} at ${o.libvirtUri}`);
  return reachable ? 'libvirt' : 'qemu';
}

async function chooseAccel(o: QemuOptions, kernel: string | undefined): Promise<AccelDecision> {
  if (o.accel === 'tcg') return { accel: 'tcg', reason: 'options.accel is tcg' };
  if (o.accel === 'kvm') return { accel: 'kvm', reason: 'options.accel is kvm' };
  if (kernel === undefined) return { accel: 'tcg', reason: 'no direct-boot kernel to probe KVM with' };
  return probeKvm(kernel);
}

async function preflight(ctx: Ctx, o: QemuOptions): Promise<void> {
  if (!ctx.host.isRoot) {
    throw new ContinuumError(
      'QEMU_NEEDS_ROOT',
      'The qemu provider creates a bridge and tap devices and needs root',
      {
        hint: 'Run continuum as root, or use the local provider',
      },
    );
  }
  for (const tool of ['qemu-system-x86_64', 'qemu-img', 'ip']) {
    const res = await tryRun(tool, ['--version']);
    if (res.exitCode === -1 && /ENOENT/.test(res.stderr)) {
      throw new ContinuumError('QEMU_TOOL_MISSING', `${tool} is not installed`, {
        hint: 'apt-get install qemu-system-x86 qemu-utils iproute2',
      });
    }
  }
  if (o.identity === 'cloud-init') {
    const res = await tryRun('cloud-localds', ['--help']);
    if (res.exitCode === -1)
      throw new ContinuumError('QEMU_TOOL_MISSING', 'cloud-localds is not installed', {
        hint: 'apt-get install cloud-image-utils genisoimage',
      });
  }
}

async function provision(ctx: Ctx): Promise<Infrastructure> {
  const o = options(ctx);
  const tag = runTag(ctx.run.id);
  const log = ctx.log;
  await preflight(ctx, o);
  if (ctx.topology.nodes.length === 0) throw new ContinuumError('QEMU_NO_NODES', 'The topology has no nodes');
  const image = resolveImage(o);
  const plan = planAddresses(ctx.topology.nodes, o.prefixIP, o.middleIP);
  assertMemoryFits(
    ctx.topology.nodes.map((n) => ({ node: n.name, memoryMiB: n.limits.memoryMiB })),
    o.overheadMiB,
    availableMemoryMiB(),
  );
  const pins = o.cpuPin
    ? pinPlan(
        ctx.topology.nodes.map((n) => n.limits.cores),
        ctx.host.cores,
      )
    : [];

  const bridgeName = o.existingBridge ?? o.bridge ?? names.bridge(tag);
  const createOwnBridge = o.existingBridge === undefined;
  if (createOwnBridge && (await linkExists(bridgeName))) {
    const ours = ctx.state.get()?.bridge === bridgeName;
    if (!ours) {
      throw new ContinuumError(
        'QEMU_BRIDGE_EXISTS',
        `A network interface named ${bridgeName} already exists and was not created by this run`,
        {
          hint: 'Choose another options.bridge, or set options.existingBridge to attach the VMs to it without changing it',
        },
      );
    }
  }
  if (!createOwnBridge && !(await linkExists(bridgeName))) {
    throw new ContinuumError('QEMU_BRIDGE_MISSING', `options.existingBridge ${bridgeName} does not exist`, {
      hint: 'Create it first or drop the option',
    });
  }
  if (createOwnBridge) await assertSubnetFree(plan.subnet, bridgeName);

  const backend = await chooseBackend(o, log);
  const accel = await chooseAccel(o, image.kernel);
  log.info(`acceleration: ${accel.accel} (${accel.reason}); backend: ${backend}`);
  const key = await ensureFrameworkKey();
  const dir = join(ctx.workDir, 'vms');
  mkdirSync(dir, { recursive: true });

  const placement = placeNodes(ctx.topology.nodes, o.externalHosts.length);
  const remotes: RemoteHostPlan[] = o.externalHosts.map((host, i) =>
    remoteHostPlan({ tag, hostIndex: i, host, localAddress: o.localAddress ?? '', localBridge: bridgeName }),
  );
  const vms: QemuState['vms'] = ctx.topology.nodes.map((node, i) => {
    const machine = placement[i] ?? 0;
    const remote = machine > 0 ? remotes[machine - 1] : undefined;
    const remoteImageDir = machine > 0 ? (o.externalHosts[machine - 1]?.imageDir ?? image.dir) : undefined;
    const address = plan.byNode.get(node.name) ?? '';
    const domain = names.domain(node.name, tag);
    const hostname = names.hostname(node.name);
    const spec: VmSpec = {
      node: node.name,
      domain,
      hostname,
      address,
      prefixLength: plan.prefixLength,
      gateway: plan.gateway,
      mac: macFor(tag, i),
      tap: names.tap(tag, i),
      bridge: remote?.bridge ?? bridgeName,
      vcpus: node.limits.cores,
      memoryMiB: node.limits.memoryMiB,
      cpuQuota: node.limits.cpuQuota,
      diskReadMBps: node.limits.diskReadMBps ?? 0,
      diskWriteMBps: node.limits.diskWriteMBps ?? 0,
      pins: pins[i] ?? [],
      overlay: remote ? `${remote.runDir}/${domain}.qcow2` : join(dir, `${domain}.qcow2`),
      seed: o.identity === 'cloud-init' ? join(dir, `${domain}.seed.iso`) : undefined,
      kernel:
        remoteImageDir !== undefined && image.kernel !== undefined
          ? `${remoteImageDir}/vmlinux`
          : image.kernel,
      initrd:
        remoteImageDir !== undefined && image.initrd !== undefined
          ? `${remoteImageDir}/initrd.img`
          : image.initrd,
      cmdline: kernelCmdline({
        root: image.root,
        identity: o.identity,
        address,
        prefixLength: plan.prefixLength,
        gateway: plan.gateway,
        hostname,
        publicKeyBlob: key.blob,
      }),
      consoleLog: remote ? `${remote.runDir}/${domain}.console.log` : join(dir, `${domain}.console.log`),
      pidfile: join(dir, `${domain}.pid`),
      accel: accel.accel,
      tbSizeMiB: o.tbSizeMiB,
    };
    return { ...spec, cgroup: names.cgroup(tag, node.name), host: remote?.uri };
  });

  // Write-ahead: everything this run may create is recorded before the first object exists.
  const state: QemuState = {
    ...emptyState(tag, dir, backend, o.libvirtUri),
    bridge: createOwnBridge ? bridgeName : undefined,
    taps: vms.map((v) => v.tap),
    nftTable: o.nat ? names.nft(tag) : undefined,
    vms,
    vxlans: remotes.flatMap((r) => (r.localVxlan ? [r.localVxlan] : [])),
    remoteCleanup: remotes.map((r) => ({ sshTarget: r.sshTarget, commands: r.cleanup })),
  };
  await ctx.state.set(state);

  const timings: Record<string, number> = {};
  const t = (label: string, since: number): void => {
    timings[label] = Math.round((Date.now() - since) / 10) / 100;
  };
  try {
    let since = Date.now();
    if (createOwnBridge) await createBridge(bridgeName, `${plan.gateway}/${plan.prefixLength}`);
    if (backend === 'qemu') for (const vm of vms) await createTap(vm.tap, bridgeName);
    if (o.nat) await enableNat(names.nft(tag), plan.subnet, bridgeName);
    for (const r of remotes) {
      for (const cmd of r.localSetup) await run(cmd[0]!, cmd.slice(1));
      for (const cmd of r.setup) await run('ssh', sshArgv(r.sshTarget, cmd), { timeoutMs: 60_000 });
    }
    t('networkSeconds', since);

    since = Date.now();
    for (const vm of vms) {
      if (vm.host !== undefined) {
        const r = remotes.find((x) => x.uri === vm.host)!;
        const base = `${o.externalHosts.find((h) => h.uri === vm.host)?.imageDir ?? image.dir}/base.qcow2`;
        await run(
          'ssh',
          sshArgv(r.sshTarget, [
            'qemu-img',
            'create',
            '-q',
            '-f',
            'qcow2',
            '-F',
            'qcow2',
            '-b',
            base,
            vm.overlay,
          ]),
          { timeoutMs: 60_000 },
        );
        continue;
      }
      await createOverlay(image.disk, vm.overlay, image.format);
      if (vm.seed !== undefined) {
        await createSeed(dir, vm.seed, {
          name: vm.domain,
          hostname: vm.hostname,
          publicKey: `ssh-ed25519 ${key.blob} continuum`,
          interface: 'ens3',
          mac: vm.mac,
          address: vm.address,
          prefixLength: vm.prefixLength,
          gateway: vm.gateway,
        });
      }
    }
    t('overlaySeconds', since);

    since = Date.now();
    log.progress(`booting ${vms.length} VM(s) under ${accel.accel.toUpperCase()}`);
    await Promise.all(
      vms.map(async (vm) => {
        if (backend === 'libvirt')
          await defineAndStart(vm.host ?? o.libvirtUri, vm, join(dir, `${vm.domain}.xml`));
        else await startQemu(vm, vm.cgroup);
      }),
    );
    const bootMs: Record<string, number> = {};
    await Promise.all(
      vms.map(async (vm) => {
        bootMs[vm.node] = await waitForSsh({
          node: vm.node,
          target: { host: vm.address, port: 22, user: 'root', keyFile: key.privateKey },
          timeoutMs: o.bootTimeoutS * 1000,
          consoleLog: vm.consoleLog,
          isAlive: () => (backend === 'qemu' ? runningQemuPid(vm) !== undefined : true),
          signal: ctx.signal,
        });
        log.info(`${vm.node} (${vm.address}) accepts ssh after ${(bootMs[vm.node]! / 1000).toFixed(1)} s`);
      }),
    );
    t('bootToSshSeconds', since);

    const infos = vms.map((vm) => nodeInfo(ctx, vm, key.privateKey));
    if (o.hostNode) {
      since = Date.now();
      log.progress(`copying ${process.execPath} (Node ${process.version}) into ${infos.length} guest(s)`);
      await Promise.all(
        infos.map(async (info) => {
          const node = createSshNode(info, sshTarget(info));
          try {
            await node.copy(process.execPath, '/usr/local/bin/node');
            await node.exec(['chmod', '755', '/usr/local/bin/node']);
            const v = (await node.exec(['/usr/local/bin/node', '--version'])).stdout.trim();
            if (v !== process.version)
              throw new ContinuumError(
                'QEMU_HOST_NODE_FAILED',
                `The copied node on ${info.name} reports ${v}, expected ${process.version}`,
              );
          } finally {
            await node.dispose?.();
          }
        }),
      );
      t('hostNodeSeconds', since);
    }
    const emulation: Infrastructure['emulation'] = { backend: 'none', measurements: [], warnings: [] };
    if (ctx.topology.network.emulation) {
      since = Date.now();
      const nodes = infos.map((info) => createSshNode(info, sshTarget(info)));
      try {
        // TCG guests add their own latency (1-5 ms, more on a loaded host): measure the unshaped
        // path first and judge the emulation by what the links add on top of it.
        const baseline = o.validateLinks
          ? await measureRttMatrix(nodes, [], { backend: 'netem', count: 10, signal: ctx.signal })
          : [];
        await applyGuestLinks(nodes, ctx.topology.network.links, ctx.signal);
        emulation.backend = 'netem';
        emulation.rateBackend = 'htb';
        t('linksSeconds', since);
        if (o.validateLinks) {
          const measured = await measureRttMatrix(nodes, ctx.topology.network.links, {
            backend: 'netem',
            count: 20,
            signal: ctx.signal,
          });
          emulation.measurements = judgeAgainstBaseline(
            measured,
            baseline,
            accel.accel === 'tcg' ? TCG_SLACK_MS : 0.5,
          );
          for (const m of emulation.measurements)
            if (!m.ok) emulation.warnings.push(`${m.from} -> ${m.to}: ${m.note ?? 'off target'}`);
        }
      } finally {
        await Promise.all(nodes.map(async (n) => n.dispose?.()));
      }
    }
    return {
      provider: 'qemu',
      nodes: infos,
      emulation,
      details: {
        acceleration: accel.accel,
        accelerationReason: accel.reason,
        backend,
        bridge: bridgeName,
        image: image.description,
        identity: o.identity,
        subnet: plan.subnet,
        timings,
        bootToSshMs: bootMs,
      },
    };
  } catch (error) {
    log.warn('provisioning failed; removing everything created so far');
    await teardownFromState(state, log).catch((e: unknown) =>
      log.error(`cleanup after failure: ${String(e)}`),
    );
    throw error;
  }
}

async function enableNat(table: string, subnet: string, bridge: string): Promise<void> {
  await run('nft', ['-f', '-'], { input: natRuleset(table, subnet, bridge) });
  await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
}

function nodeInfo(ctx: Ctx, vm: QemuState['vms'][number], keyFile: string): NodeInfo {
  const spec = ctx.topology.nodes.find((n) => n.name === vm.node);
  if (spec === undefined) throw new Error(`node ${vm.node} not in topology`);
  return {
    name: vm.node,
    tier: spec.tier,
    role: spec.role,
    address: vm.address,
    limits: spec.limits,
    access: {
      kind: 'ssh',
      user: 'root',
      host: vm.address,
      port: 22,
      keyFile,
      shell: `ssh -i ${keyFile} ${SSH_OPTS} root@${vm.address}`,
    },
    sharesHostFilesystem: false,
    details: { domain: vm.domain, mac: vm.mac, tap: vm.tap, consoleLog: vm.consoleLog, accel: vm.accel },
  };
}

function sshTarget(info: NodeInfo): { host: string; port: number; user: string; keyFile: string } {
  if (info.access.kind !== 'ssh')
    throw new ContinuumError('QEMU_BAD_NODE', `Node ${info.name} has no ssh access record`);
  return {
    host: info.access.host,
    port: info.access.port,
    user: info.access.user,
    keyFile: info.access.keyFile,
  };
}

function validate(ctx: Ctx): Promise<Diagnostic[]> {
  const diags: Diagnostic[] = [];
  let o: QemuOptions;
  try {
    o = options(ctx);
  } catch {
    return Promise.resolve(diags); // schema issues are reported by the core
  }
  try {
    resolveImage(o);
  } catch (error) {
    diags.push({
      severity: 'error',
      path: 'options.image',
      message: (error as Error).message,
      hint: (error as ContinuumError).hint ?? '',
    });
  }
  try {
    planAddresses(ctx.topology.nodes, o.prefixIP, o.middleIP);
    assertMemoryFits(
      ctx.topology.nodes.map((n) => ({ node: n.name, memoryMiB: n.limits.memoryMiB })),
      o.overheadMiB,
      availableMemoryMiB(),
    );
    if (o.cpuPin)
      pinPlan(
        ctx.topology.nodes.map((n) => n.limits.cores),
        ctx.host.cores,
      );
  } catch (error) {
    diags.push({
      severity: 'error',
      message: (error as Error).message,
      hint: (error as ContinuumError).hint ?? '',
    });
  }
  if (!ctx.host.isRoot)
    diags.push({
      severity: 'error',
      message: 'The qemu provider needs root (bridge, taps)',
      hint: 'Run as root',
    });
  return Promise.resolve(diags);
}

function plan(ctx: Ctx): Promise<PlanItem[]> {
  const o = options(ctx);
  const tag = runTag(ctx.run.id);
  const addr = planAddresses(ctx.topology.nodes, o.prefixIP, o.middleIP);
  const items: PlanItem[] = [];
  if (o.existingBridge === undefined)
    items.push({
      resource: 'bridge',
      name: o.bridge ?? names.bridge(tag),
      details: { address: `${addr.gateway}/${addr.prefixLength}` },
    });
  ctx.topology.nodes.forEach((n, i) => {
    items.push({
      resource: 'vm',
      name: names.domain(n.name, tag),
      details: {
        ip: addr.byNode.get(n.name) ?? '',
        vcpus: n.limits.cores,
        memoryMiB: n.limits.memoryMiB,
        quota: n.limits.cpuQuota,
        tap: names.tap(tag, i),
      },
    });
  });
  return Promise.resolve(items);
}

export const qemuProvider = defineProvider<QemuOptions, QemuState>({
  name: 'qemu',
  description:
    'QEMU VMs (plain qemu with pidfiles, or libvirt) on a bridge of their own, with upstream tc links inside the guests',
  configSchema: qemuOptionsSchema,
  jsonSchema: () => z.toJSONSchema(qemuOptionsSchema, { io: 'input', unrepresentable: 'any' }),
  stateVersion: 1,
  validate,
  plan,
  provision,
  attach(_ctx, infrastructure): Promise<Node[]> {
    return Promise.resolve(infrastructure.nodes.map((info) => createSshNode(info, sshTarget(info))));
  },
  async teardown(ctx) {
    const state = ctx.state.get();
    if (state === undefined) return;
    await teardownFromState(state, ctx.log);
    if (existsSync(state.dir)) rmSync(state.dir, { recursive: true, force: true });
  },
});
