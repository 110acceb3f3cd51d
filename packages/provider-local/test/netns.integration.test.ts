import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostRouteIsLocal, isSameProcessRunning } from '@continuum/plugin-api';
import type { Infrastructure, Node } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import provider, { cleanRunByTag } from '../src/index.js';
import { localOptionsSchema } from '../src/options.js';
import type { LocalState } from '../src/state.js';
import { isRoot, leftovers, makeContext, quietValidation, relayRunning, tagOf } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe.runIf(isRoot)('netns nodes with the userspace relay (4g preset)', () => {
  const ctx = makeContext({
    tiers: { cloud: { nodes: 1, cores: 1, cpuQuota: 0.5 }, endpoint: { nodes: 2, memoryMiB: 128 } },
    config: { validation: { pings: 40, throughputSeconds: 1.5 } },
  });
  const tag = tagOf(ctx.run.id);
  let infra: Infrastructure;
  let nodes: Node[];
  cleanups.push(() => provider.teardown(ctx));

  it('provisions namespaces, records the backend and validates RTT and rate', async () => {
    infra = await provider.provision(ctx);
    nodes = await provider.attach(ctx, infra);
    expect(infra.nodes.map((n) => n.name)).toEqual(['cloud0', 'endpoint0', 'endpoint1']);
    expect(infra.emulation.backend).toBe('userspace-relay');
    expect(infra.emulation.rateBackend).toBe('htb');
    const ce = infra.emulation.measurements.find((m) => m.fromTier === 'cloud' && m.toTier === 'endpoint');
    expect(ce?.configuredRttMs).toBe(90);
    // 4g cloud<->endpoint: 45 ms each way, jitter 5 ms; bound max(1 ms, 5 %) + sampling slack.
    expect(Math.abs((ce?.measuredRttMs ?? 0) - 90)).toBeLessThan(4.5 + 2.5);
    expect(ce?.measuredRateMbit).toBeGreaterThan(7.21 * 0.85);
    expect(ce?.measuredRateMbit).toBeLessThan(7.21 * 1.05);
    const ee = infra.emulation.measurements.find((m) => m.fromTier === 'endpoint' && m.toTier === 'endpoint');
    expect(ee?.measuredRttMs).toBeLessThan(2);
    expect(relayRunning(ctx.state.get())).toBe(true);
  });

  it('puts every node on-link for the host (never routed through the default gateway)', async () => {
    for (const node of infra.nodes) expect(await hostRouteIsLocal(node.address)).toBe(true);
    const { stdout } = await nodes[0]!.exec(['ping', '-n', '-c', '1', '-W', '2', infra.nodes[0]!.address]);
    expect(stdout).toContain('1 received');
  });

  it('gives every node its own address and a netns shell', async () => {
    const [cloud, ep0] = nodes as [Node, Node];
    expect(cloud.access).toEqual({
      kind: 'netns',
      namespace: `ct-${tag}-cloud0`,
      shell: `ip netns exec ct-${tag}-cloud0 bash`,
    });
    const addr = await ep0.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    expect(addr.stdout).toContain(`${ep0.address}/16`);
    const route = await ep0.exec(['ip', 'route', 'get', '192.0.2.1'], { check: false });
    expect(route.exitCode).not.toBe(0); // no route off the bridge: traffic stays on this machine
  });

  it('limits CPU of limited processes with the node cgroup (1 core x 0.5 quota)', async () => {
    const cloud = nodes[0] as Node;
    const busy =
      'const t=Date.now(); while(Date.now()-t<1500){} const u=process.cpuUsage(); console.log(JSON.stringify({share:(u.user+u.system)/1e6/1.5, cg: require("fs").readFileSync("/proc/self/cgroup","utf8")}))';
    const lines: string[] = [];
    const proc = await cloud.spawn([process.execPath, '-e', busy], {
      logFile: join(ctx.workDir, 'busy.log'),
      onLine: (l) => lines.push(l),
    });
    const exit = await proc.wait();
    expect(exit.exitCode).toBe(0);
    const out = JSON.parse(lines.join('')) as { share: number; cg: string };
    expect(out.cg).toContain(`/continuum-${tag}/cloud0`);
    expect(out.share).toBeLessThan(0.65);
    expect(out.share).toBeGreaterThan(0.2);
    // Helper commands (exec) are not limited and not in the node cgroup.
    const plain = await cloud.exec(['cat', '/proc/self/cgroup']);
    expect(plain.stdout).not.toContain(`continuum-${tag}`);
  });

  it('enforces the memory limit (128 MiB endpoint: a 400 MiB allocation is killed)', async () => {
    const ep = nodes[1] as Node;
    const proc = await ep.spawn(
      [process.execPath, '-e', 'const b=Buffer.alloc(400*1024*1024,1); console.log(b.length)'],
      {
        logFile: join(ctx.workDir, 'oom.log'),
      },
    );
    const exit = await proc.wait();
    expect(exit).toEqual({ exitCode: null, signal: 'SIGKILL' });
    const oom = readFileSync(`/sys/fs/cgroup/memory/continuum-${tag}/endpoint0/memory.oom_control`, 'utf8');
    expect(Number(/oom_kill (\d+)/.exec(oom)?.[1])).toBeGreaterThan(0);
  });

  it('re-attaches from JSON in a new handle and stops detached processes by PID', async () => {
    const copy = JSON.parse(JSON.stringify(infra)) as Infrastructure;
    const [again] = await provider.attach(ctx, copy);
    const p = await (again as Node).spawn(['sleep', '30'], {
      logFile: join(ctx.workDir, 'sleep.log'),
      detached: true,
    });
    expect(await (again as Node).isRunning(p.ref)).toBe(true);
    await (again as Node).stop(p.ref, { graceMs: 500 });
    expect(await (again as Node).isRunning(p.ref)).toBe(false);
  });

  it('tears down everything with the run tag, twice without error', async () => {
    const state = ctx.state.get();
    const leftover = await (nodes[2] as Node).spawn(['sleep', '60'], {
      logFile: join(ctx.workDir, 'left.log'),
      detached: true,
    });
    await provider.teardown(ctx);
    await provider.teardown(ctx);
    expect(leftovers(tag)).toEqual([]);
    expect(relayRunning(state)).toBe(false);
    expect(isSameProcessRunning(leftover.ref)).toBe(false);
  });
});

describe.runIf(isRoot)('loss emulation', () => {
  it('drops the configured share of packets in each direction', async () => {
    const ctx = makeContext({
      tiers: { cloud: { nodes: 1 }, endpoint: { nodes: 1 } },
      config: quietValidation,
    });
    for (const l of ctx.topology.network.links) Object.assign(l, { lossPct: 30, jitterMs: 0, latencyMs: 5 });
    cleanups.push(() => provider.teardown(ctx));
    try {
      const infra = await provider.provision(ctx);
      const [cloud, ep] = await provider.attach(ctx, infra);
      const res = await (cloud as Node).exec(
        ['ping', '-n', '-q', '-c', '300', '-i', '0.005', '-W', '1', (ep as Node).address],
        { check: false },
      );
      const loss = Number(/([\d.]+)% packet loss/.exec(res.stdout)?.[1]);
      // Echo and reply each cross a 30 % lossy link: 1 - 0.7^2 = 51 %.
      expect(loss).toBeGreaterThan(38);
      expect(loss).toBeLessThan(64);
    } finally {
      await provider.teardown(ctx);
      expect(leftovers(tagOf(ctx.run.id))).toEqual([]);
    }
  });
});

describe.runIf(isRoot)('teardown after SIGKILL', () => {
  it('removes everything from the saved state file alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'continuum-kill-'));
    const stateFile = join(dir, 'state.json');
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'fixtures', 'provision-child.js'), stateFile, dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sleeperPid = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /READY (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { runId: string; state: LocalState };
    const tag = saved.state.tag;
    // The child's resources outlive it...
    expect(leftovers(tag).length).toBeGreaterThan(0);
    expect(relayRunning(saved.state)).toBe(true);
    // ...until a new context with only the state tears them down.
    const fresh = createTestContext<unknown, LocalState>({
      config: localOptionsSchema.parse({}),
      state: saved.state,
    });
    cleanups.push(() => provider.teardown(fresh as never));
    await provider.teardown(fresh as never);
    expect(leftovers(tag)).toEqual([]);
    expect(relayRunning(saved.state)).toBe(false);
    expect(isSameProcessRunning({ pid: sleeperPid })).toBe(false);
  });
});

describe.runIf(isRoot)('other network setups', () => {
  it('without emulation: veth ports on the hub bridge, unshaped, backend none', async () => {
    const ctx = makeContext({ tiers: { cloud: { nodes: 1 }, edge: { nodes: 1 } }, emulation: false });
    cleanups.push(() => provider.teardown(ctx));
    const infra = await provider.provision(ctx);
    expect(infra.emulation.backend).toBe('none');
    expect(infra.emulation.warnings.join(' ')).toMatch(/emulation is off/);
    const [cloud, edge] = (await provider.attach(ctx, infra)) as [Node, Node];
    const ping = await cloud.exec(['ping', '-n', '-c', '3', '-i', '0.05', edge.address]);
    const rtts = [...ping.stdout.matchAll(/time=([\d.]+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...rtts)).toBeLessThan(5);
    const qdisc = await cloud.exec(['tc', 'qdisc', 'show', 'dev', 'eth0']);
    expect(qdisc.stdout).not.toContain('htb');
    await provider.teardown(ctx);
    expect(leftovers(tagOf(ctx.run.id))).toEqual([]);
  });

  it('delay: netem on a kernel without netem fails clearly and leaves nothing', async () => {
    const ctx = makeContext({
      tiers: { cloud: { nodes: 1 }, endpoint: { nodes: 1 } },
      config: { ...quietValidation, delay: 'netem' },
    });
    cleanups.push(() => provider.teardown(ctx));
    try {
      const infra = await provider.provision(ctx);
      // A kernel with netem: then it must have been used.
      expect(infra.emulation.backend).toBe('netem');
    } catch (error) {
      expect(error).toMatchObject({ code: 'LOCAL_NO_NETEM' });
      expect((error as { hint?: string }).hint).toMatch(/relay/);
    }
    await provider.teardown(ctx);
    expect(leftovers(tagOf(ctx.run.id))).toEqual([]);
  });

  it('shapes with htb classes per destination tier inside the node', async () => {
    const ctx = makeContext({
      tiers: { cloud: { nodes: 1 }, edge: { nodes: 1 }, endpoint: { nodes: 1 } },
      config: quietValidation,
    });
    cleanups.push(() => provider.teardown(ctx));
    const infra = await provider.provision(ctx);
    const [, edge] = (await provider.attach(ctx, infra)) as [Node, Node];
    const classes = await edge.exec(['tc', 'class', 'show', 'dev', 'eth0']);
    expect(classes.stdout).toMatch(/class htb 1:1 .*rate 1Gbit/);
    expect(classes.stdout).toMatch(/class htb 1:3 .*rate 7210Kbit/);
    const filters = await edge.exec(['tc', 'filter', 'show', 'dev', 'eth0']);
    expect(filters.stdout).toContain('flowid 1:3');
    await provider.teardown(ctx);
  });
});

describe.runIf(isRoot)('continuum clean (no state, only the run tag)', () => {
  it('finds and removes the relay, namespaces and cgroups named with the tag', async () => {
    const ctx = makeContext({
      tiers: { cloud: { nodes: 1 }, endpoint: { nodes: 2 } },
      config: { ...quietValidation, delay: 'relay' },
    });
    cleanups.push(() => provider.teardown(ctx));
    await provider.provision(ctx);
    const tag = tagOf(ctx.run.id);
    const state = ctx.state.get();
    expect(leftovers(tag).length).toBeGreaterThan(0);
    const { removed } = await cleanRunByTag(tag);
    expect(removed.some((r) => r.startsWith('relay pid'))).toBe(true);
    expect(leftovers(tag)).toEqual([]);
    expect(relayRunning(state)).toBe(false);
  });
});

describe('bad input', () => {
  it('rejects more cores than the host has in validate and provision, leaving nothing', async () => {
    const ctx = makeContext({
      tiers: { cloud: { nodes: 1, cores: 999 }, endpoint: { nodes: 1 } },
      config: quietValidation,
    });
    const diags = await provider.validate?.(ctx);
    expect(diags?.filter((d) => d.severity === 'error').map((d) => d.path)).toContain(
      'infrastructure.cloud.cores',
    );
    await expect(provider.provision(ctx)).rejects.toMatchObject({
      name: 'ContinuumError',
      code: 'LOCAL_BAD_TOPOLOGY',
    });
    await provider.teardown(ctx);
    if (isRoot) expect(leftovers(tagOf(ctx.run.id))).toEqual([]);
  });
});

describe('process mode (no root, or mode: process)', () => {
  it('runs nodes as host processes with distinct loopback addresses and says links are not emulated', async () => {
    const ctx = makeContext({
      tiers: { cloud: { nodes: 1 }, edge: { nodes: 2 }, endpoint: { nodes: 2 } },
      config: { mode: 'process' },
    });
    const infra = await provider.provision(ctx);
    expect(infra.emulation.backend).toBe('none');
    expect(infra.emulation.warnings.join(' ')).toMatch(/NOT emulated/);
    expect(infra.details['mode']).toBe('process');
    const addresses = infra.nodes.map((n) => n.address);
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(addresses.every((a) => a.startsWith('127.77.'))).toBe(true);
    const nodes = await provider.attach(ctx, infra);
    const res = await (nodes[0] as Node).exec(['sh', '-c', 'echo $$']);
    expect(Number(res.stdout.trim())).toBeGreaterThan(0);
    expect(nodes.every((n) => n.access.kind === 'process' && n.sharesHostFilesystem)).toBe(true);
    await provider.teardown(ctx);
  });
});
