import { resolveLinks, resolveNodes } from '@continuum/plugin-api';
import type { ExecOptions, ExecResult, Node, NodeInfo, Topology } from '@continuum/plugin-api';
import { createMemoryLogger } from '@continuum/plugin-api';
import { describe, expect, it } from 'vitest';
import { applyGuestEmulation } from '../src/emulation.js';

/**
 * A GCE guest with a netem-capable kernel cannot exist on this host (no sch_netem, no cloud), so
 * this scripted guest answers like an Ubuntu GCE image whose netem module is in
 * linux-modules-extra: it checks the order of probing, installing, detecting the interface,
 * shaping as root and measuring. The tc syntax itself is checked against the real kernel in
 * guest-tc.netns.test.ts.
 */
function scriptedGuest(
  info: Pick<NodeInfo, 'name' | 'tier' | 'role' | 'address'>,
  rttTo: (address: string) => number,
  log: string[],
  batches: string[] = [],
): Node {
  let netemInstalled = false;
  const exec = (command: readonly string[], _opts?: ExecOptions): Promise<ExecResult> => {
    const line = command.join(' ');
    log.push(`${info.name}: ${line}`);
    const ok = (stdout = ''): Promise<ExecResult> => Promise.resolve({ stdout, stderr: '', exitCode: 0 });
    const fail = (stderr: string, exitCode = 2): Promise<ExecResult> =>
      Promise.resolve({ stdout: '', stderr, exitCode });
    if (line.startsWith('sudo -n tc qdisc add dev lo root handle 1: netem'))
      return netemInstalled ? ok() : fail('Error: Specified qdisc kind is unknown.');
    if (line === 'sudo -n modprobe sch_netem')
      return fail('modprobe: FATAL: Module sch_netem not found in directory /lib/modules/6.8.0-1015-gcp', 1);
    if (line === 'uname -r') return ok('6.8.0-1015-gcp\n');
    if (
      line.includes(
        'apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends linux-modules-extra-6.8.0-1015-gcp',
      )
    ) {
      netemInstalled = true;
      return ok();
    }
    if (line.startsWith('ip -o route get'))
      return ok(`${command[4]} dev ens4 src ${info.address} uid 1000 \\    cache \n`);
    if (line === 'sudo -n tc -batch -') {
      batches.push(_opts?.input ?? '');
      return ok();
    }
    if (line.startsWith('sudo -n tc')) return ok();
    if (command[0] === 'ping') {
      const target = command.at(-1) as string;
      const rtt = rttTo(target);
      const lines = Array.from(
        { length: 11 },
        (_, i) =>
          `64 bytes from ${target}: icmp_seq=${i + 1} ttl=64 time=${(rtt + (i % 3) * 0.1).toFixed(2)} ms`,
      );
      return ok(
        `${lines.join('\n')}\n\n--- ${target} ping statistics ---\nrtt min/avg/max/mdev = ${rtt}/${rtt}/${rtt}/0.1 ms\n`,
      );
    }
    return fail(`unexpected command ${line}`, 127);
  };
  return {
    ...info,
    limits: { cores: 1, cpuQuota: 1, memoryMiB: 512 },
    access: { kind: 'ssh', user: 'continuum', host: '127.0.0.1', port: 22, keyFile: '/dev/null', shell: '' },
    sharesHostFilesystem: false,
    exec,
    copy: () => Promise.resolve(),
    fetch: () => Promise.resolve(),
    spawn: () => Promise.reject(new Error('not used')),
    stop: () => Promise.resolve(),
    isRunning: () => Promise.resolve(false),
  };
}

describe('guest emulation orchestration', () => {
  const tiers = {
    cloud: { nodes: 1, cores: 2, memoryMiB: 1024, cpuQuota: 1, diskReadMBps: 0, diskWriteMBps: 0 },
    edge: { nodes: 0, cores: 1, memoryMiB: 512, cpuQuota: 1, diskReadMBps: 0, diskWriteMBps: 0 },
    endpoint: { nodes: 2, cores: 1, memoryMiB: 512, cpuQuota: 1, diskReadMBps: 0, diskWriteMBps: 0 },
  };
  const links = resolveLinks('4g', {}, ['cloud', 'endpoint']);
  const topology: Topology = {
    mode: 'cloud',
    tiers,
    nodes: resolveNodes(tiers, false),
    network: { emulation: true, preset: '4g', links },
  };
  const addresses: Record<string, string> = {
    cloud0: '10.0.0.2',
    endpoint0: '10.0.2.2',
    endpoint1: '10.0.2.3',
  };
  const tierOf = (a: string): string => (a.startsWith('10.0.0.') ? 'cloud' : 'endpoint');

  it('installs netem when missing, shapes as root on the detected interface, and measures the matrix', async () => {
    const log: string[] = [];
    const batches: string[] = [];
    const nodes = topology.nodes.map((n) =>
      scriptedGuest(
        { name: n.name, tier: n.tier, role: n.role, address: addresses[n.name] as string },
        (target) => (tierOf(target) !== n.tier ? 90.3 : 0.4),
        log,
        batches,
      ),
    );
    const report = await applyGuestEmulation(nodes, topology, { log: createMemoryLogger() });
    expect(report.backend).toBe('netem');
    const cloudLog = log.filter((l) => l.startsWith('cloud0: '));
    const order = [
      'netem',
      'modprobe',
      'uname -r',
      'linux-modules-extra',
      'route get',
      'qdisc del dev ens4 root',
      'tc -batch -',
    ];
    const positions = order.map((needle) => cloudLog.findIndex((l) => l.includes(needle)));
    expect(positions.every((p, i) => p >= 0 && (i === 0 || p > (positions[i - 1] as number)))).toBe(true);
    // One batch per node; the cloud node's starts with the htb root and has a filter per endpoint.
    expect(batches).toHaveLength(3);
    const cloudBatch = batches.find((b) => b.includes('10.0.2.3/32') && b.includes('10.0.2.2/32')) ?? '';
    expect(cloudBatch.split('\n')[0]).toBe('qdisc replace dev ens4 root handle 1: htb');
    expect(cloudBatch.match(/^filter add/gm)).toHaveLength(2);
    expect(log.some((l) => l.includes(' tc ') && !l.includes('sudo -n tc'))).toBe(false);
    // cloud<->endpoint configured RTT is 2 x 45 ms; endpoint<->endpoint is unshaped (0).
    const ce = report.measurements.find((m) => m.fromTier !== m.toTier);
    expect(ce).toMatchObject({ configuredRttMs: 90, ok: true });
    expect(report.warnings).toEqual([]);
  });

  it('reports links outside tolerance as warnings, and does nothing without emulation', async () => {
    const log: string[] = [];
    const nodes = topology.nodes.map((n) =>
      scriptedGuest(
        { name: n.name, tier: n.tier, role: n.role, address: addresses[n.name] as string },
        (target) => (tierOf(target) !== n.tier ? 120 : 0.4),
        log,
      ),
    );
    const report = await applyGuestEmulation(nodes, topology, { log: createMemoryLogger(), iface: 'ens5' });
    expect(log.some((l) => l.includes('route get'))).toBe(false);
    expect(log.some((l) => l.includes('tc qdisc del dev ens5 root'))).toBe(true);
    expect(report.warnings.join('\n')).toMatch(/measured 120\.\d+ ms vs configured 90 ms/);
    const none = await applyGuestEmulation(
      nodes,
      { ...topology, network: { ...topology.network, emulation: false } },
      { log: createMemoryLogger() },
    );
    expect(none).toEqual({ backend: 'none', measurements: [], warnings: [] });
  });
});
