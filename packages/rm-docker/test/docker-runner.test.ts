import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostNode, type Node } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import rm, { docker, type DockerOptions, type DockerState } from '../src/index.js';
import { dockerAvailable, startTestDocker, type TestDocker } from './docker-daemon.js';

const hostNode = (name: string, role: 'edge' | 'endpoint'): Node =>
  createHostNode({
    name,
    tier: role,
    role,
    address: '127.0.0.1',
    limits: { cores: 1, cpuQuota: 1, memoryMiB: 512 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
  });

// Real dockerd + containerd started by the test (machine-probes P8). Needs root and docker.io.
describe.runIf(dockerAvailable())('docker runner against a real local dockerd', () => {
  let daemon: TestDocker;
  const nodes = [hostNode('edge0', 'edge'), hostNode('endpoint0', 'endpoint')];
  const appDir = mkdtempSync(join(tmpdir(), 'rmdocker-app-'));
  writeFileSync(
    join(appDir, 'component.mjs'),
    [
      "console.log('Start the application ' + process.env.GREETING);",
      "console.error('to stderr');",
      "const fs = await import('node:fs');",
      "console.log('cpu quota ' + fs.readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', 'utf8').trim());",
      'await new Promise((r) => setTimeout(r, 300));',
      "console.log('End the application');",
      'process.exit(Number(process.env.EXIT_CODE ?? 0));',
    ].join('\n'),
  );
  const makeCtx = () =>
    createTestContext<DockerOptions, DockerState>({
      config: { dockerHost: daemon.host, network: 'host', installDocker: false },
      tiers: { edge: { nodes: 1 }, endpoint: { nodes: 1 } },
      nodes,
    });
  let ctx: ReturnType<typeof makeCtx>;

  beforeAll(async () => {
    daemon = await startTestDocker();
    ctx = makeCtx();
  }, 120_000);
  afterAll(async () => {
    try {
      if (ctx !== undefined) await rm.teardown(ctx);
    } finally {
      await daemon?.stop();
    }
  }, 120_000);

  it('installs: checks the daemon and imports the runtime image (no registry, no base image)', async () => {
    const cluster = (await rm.install(ctx)) as { image: string; nodes: string[] };
    expect(cluster.nodes).toEqual(['edge0', 'endpoint0']);
    expect(cluster.image).toMatch(/^continuum\/node-runtime:/);
    const images = await docker(nodes[0] as Node, { host: daemon.host }, [
      'images',
      '--format',
      '{{.Repository}}:{{.Tag}}',
    ]);
    expect(images.stdout).toContain(cluster.image);
  }, 180_000);

  it('runs a component with env, fractional CPU, timestamped logs and a status timeline', async () => {
    const runner = rm.runner(ctx, null);
    const before = Date.now();
    const w = await runner.run({
      name: 'worker-edge0',
      node: 'edge0',
      command: [process.execPath, join(appDir, 'component.mjs')],
      env: { GREETING: 'hello' },
      cpu: 0.5,
      memoryMiB: 256,
      files: [{ from: appDir, to: '/opt/app' }],
    });
    const streamed: string[] = [];
    w.onLine((l) => streamed.push(l.line));
    const exit = await w.wait({ timeoutMs: 60_000 });
    expect(exit).toMatchObject({ phase: 'succeeded', exitCode: 0 });
    const logs = await w.logs();
    const text = logs.map((l) => l.line);
    expect(text).toContain('Start the application hello');
    expect(text).toContain('End the application');
    // --cpus 0.5 is kept fractional: a 50 ms quota per 100 ms period (upstream truncated it to 0).
    expect(text).toContain('cpu quota 50000');
    expect(logs.find((l) => l.line === 'to stderr')?.stream).toBe('stderr');
    for (const l of logs) expect(l.time).toBeGreaterThan(before - 5_000);
    const phases = w.timeline().map((s) => s.phase);
    expect(phases[0]).toBe('pending');
    expect(phases).toContain('running');
    expect(phases.at(-1)).toBe('succeeded');
    expect(ctx.state.get()?.containers.map((c) => c.name)).toContain(w.ref.data['container']);
    expect(readFileSync(join(ctx.run.dir, 'logs', 'worker-edge0.docker-logs.log'), 'utf8')).toContain(
      'End the application',
    );
  }, 60_000);

  it('reports a failing component with its exit code', async () => {
    const w = await rm.runner(ctx, null).run({
      name: 'endpoint0',
      node: 'endpoint0',
      command: [process.execPath, join(appDir, 'component.mjs')],
      env: { EXIT_CODE: '3' },
      files: [{ from: appDir, to: '/opt/app' }],
    });
    const exit = await w.wait({ timeoutMs: 60_000 });
    expect(exit.phase).toBe('failed');
    expect(exit.exitCode).toBe(3);
    expect(w.timeline().at(-1)).toMatchObject({ phase: 'failed', reason: 'exit code 3' });
  }, 60_000);

  it('a component that never ends times out with a clear error and is removed by teardown', async () => {
    const w = await rm.runner(ctx, null).run({
      name: 'stuck',
      node: 'edge0',
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    });
    await expect(w.wait({ timeoutMs: 1_500 })).rejects.toMatchObject({ code: 'WORKLOAD_TIMEOUT' });
    // teardown from the state blob alone, as a new process would
    const fresh = createTestContext<DockerOptions, DockerState>({
      config: ctx.config,
      nodes,
      state: ctx.state.get() as DockerState,
    });
    Object.assign(fresh.run, { id: ctx.run.id });
    await rm.teardown(fresh);
    const left = await docker(nodes[0] as Node, { host: daemon.host }, [
      'ps',
      '-aq',
      '--filter',
      `label=continuum.run=${ctx.run.id}`,
    ]);
    expect(left.stdout.trim()).toBe('');
    await rm.teardown(fresh); // idempotent
  }, 60_000);

  it('an unknown image fails with a hint about delivering images', async () => {
    await expect(
      rm
        .runner(ctx, null)
        .run({ name: 'noimage', node: 'edge0', image: 'continuum/does-not-exist:1', command: ['true'] }),
    ).rejects.toMatchObject({ code: 'DOCKER_RUN_FAILED' });
  }, 60_000);
});
