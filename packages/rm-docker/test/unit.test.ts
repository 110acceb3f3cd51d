import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capabilityContract, createTestContext } from '@continuum/plugin-api/testing';
import { createHostNode, type PluginManifest } from '@continuum/plugin-api';
import rm, {
  type DockerOptions,
  type DockerState,
  containerName,
  mistDiagnostics,
  parseLdd,
  parseTimestampedLine,
  runArguments,
  timelineFromInspect,
} from '../src/index.js';

describe('docker runner helpers', () => {
  it('parses docker logs -t timestamps with nanoseconds', () => {
    expect(parseTimestampedLine('2026-11-23T18:40:01.123456789Z Start the application')).toEqual({
      time: Date.parse('2026-11-23T18:40:01.000Z') + 123.456789,
      line: 'Start the application',
    });
    expect(parseTimestampedLine('2026-11-23T18:40:01Z ')).toEqual({
      time: Date.parse('2026-11-23T18:40:01Z'),
      line: '',
    });
    expect(parseTimestampedLine('no timestamp')).toBeUndefined();
  });

  it('builds docker run arguments without a shell and keeps fractional CPUs', () => {
    const args = runArguments(
      {
        name: 'endpoint0',
        node: 'endpoint0',
        command: ['node', '/opt/app/endpoint.js'],
        cpu: 0.5,
        memoryMiB: 1024,
        env: { A: 'x y; rm -rf /' },
        labels: { tier: 'endpoint' },
      },
      { name: 'ct-abc-endpoint0', runId: 'r-abc', image: 'img:1', network: 'host', mounts: ['/opt/app'] },
    );
    expect(args).toEqual([
      'run',
      '--detach',
      '--name',
      'ct-abc-endpoint0',
      '--network',
      'host',
      '--label',
      'continuum.run=r-abc',
      '--label',
      'continuum.component=endpoint0',
      '--label',
      'tier=endpoint',
      '--cpus',
      '0.5',
      '--memory',
      '1024m',
      '--env',
      'A=x y; rm -rf /',
      '--volume',
      '/opt/app:/opt/app:ro',
      'img:1',
      'node',
      '/opt/app/endpoint.js',
    ]);
    expect(containerName('k3x9', 'cloud0/endpoint 1')).toBe('ct-k3x9-cloud0-endpoint-1');
  });

  it('turns docker inspect state into a status timeline', () => {
    const t = timelineFromInspect('2026-11-23T10:00:00.000000000Z', {
      Status: 'exited',
      Running: false,
      OOMKilled: true,
      ExitCode: 137,
      Error: '',
      StartedAt: '2026-11-23T10:00:00.500Z',
      FinishedAt: '2026-11-23T10:00:05Z',
    });
    expect(t.map((s) => s.phase)).toEqual(['pending', 'running', 'failed']);
    expect(t[2]?.reason).toBe('OOMKilled');
    const running = timelineFromInspect('2026-11-23T10:00:00Z', {
      Status: 'running',
      Running: true,
      OOMKilled: false,
      ExitCode: 0,
      Error: '',
      StartedAt: '2026-11-23T10:00:01Z',
      FinishedAt: '0001-01-01T00:00:00Z',
    });
    expect(running.map((s) => s.phase)).toEqual(['pending', 'running']);
  });

  it('parses ldd output (real format from Debian 12)', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f13)',
      '\tlibfoo.so.1 => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f133fa2d000)',
    ].join('\n');
    expect(parseLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
});

describe('mist node-count rules (upstream §2.7)', () => {
  const topo = (cloud: number, edge: number, endpoint: number) =>
    createTestContext({
      config: {},
      tiers: { cloud: { nodes: cloud }, edge: { nodes: edge }, endpoint: { nodes: endpoint } },
    }).topology;
  it('accepts 0 clouds, 2 edges, 4 endpoints', () => expect(mistDiagnostics(topo(0, 2, 4))).toEqual([]));
  it('rejects no edges, clouds present, uneven endpoints, with the rule spelled out', () => {
    expect(mistDiagnostics(topo(0, 0, 2)).map((d) => d.path)).toEqual(['infrastructure.edge.nodes']);
    expect(mistDiagnostics(topo(1, 1, 1))[0]?.message).toContain('cloud nodes == 0');
    const uneven = mistDiagnostics(topo(0, 2, 3));
    expect(uneven).toHaveLength(1);
    expect(uneven[0]?.message).toContain('3 endpoints cannot be spread evenly over 2 edge nodes');
  });
});

describe('bad input', () => {
  it('refuses network-namespace nodes (containers would bypass the emulated links)', async () => {
    const node = createHostNode({
      name: 'edge0',
      tier: 'edge',
      role: 'edge',
      address: '10.0.0.2',
      limits: { cores: 1, cpuQuota: 1, memoryMiB: 256 },
      access: { kind: 'netns', namespace: 'ct-x-edge0', shell: 'ip netns exec ct-x-edge0 sh' },
      sharesHostFilesystem: true,
    });
    const ctx = createTestContext<DockerOptions, DockerState>({
      config: { network: 'host', installDocker: false },
      tiers: { edge: { nodes: 1 }, endpoint: { nodes: 1 } },
      nodes: [node],
    });
    await expect(rm.install(ctx)).rejects.toMatchObject({ code: 'DOCKER_NETNS_NODES' });
  });
});

describe('plugin contract', () => {
  const manifest = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      continuum: PluginManifest;
    }
  ).continuum;
  for (const c of capabilityContract({ manifest, load: () => Promise.resolve({ default: rm }) }))
    it(c.name, c.run);
});
