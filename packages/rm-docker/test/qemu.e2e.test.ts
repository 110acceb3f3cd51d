/**
 * The docker runner on real provider-qemu VM nodes (opt-in: CONTINUUM_QEMU_TESTS=1, as root; TCG
 * VMs take minutes on 2 cores). One edge VM with NAT to the distribution mirror: docker.io is
 * installed over ssh, the runtime image tarball is copied over ssh and `docker import`ed in the
 * guest, and a component's files are copied to the guest and bind-mounted into its container.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Infrastructure, Node } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import rm, { docker, type DockerOptions, type DockerState } from '../src/index.js';

const enabled = process.env['CONTINUUM_QEMU_TESTS'] === '1' && process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), 'rmdocker-qemu-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.runIf(enabled)('docker runner on provider-qemu VMs', () => {
  it('installs docker in the guest, delivers the runtime image over ssh and runs a component', async () => {
    const qemu = await import('@continuum/provider-qemu');
    await qemu.buildBaseImage({ niceness: 10 });
    const pctx = createTestContext<never, never>({
      config: { prefixIP: '10.232', middleIP: 232, nat: true, accel: 'auto', bootTimeoutS: 600 } as never,
      tiers: { edge: { nodes: 1, memoryMiB: 1024, cores: 1 } },
      runDir: mkdtempSync(join(scratch, 'run-')),
    });
    Object.assign(pctx.host, { isRoot: true });
    let nodes: Node[] = [];
    const rctx = () =>
      createTestContext<DockerOptions, DockerState>({
        config: { network: 'host', installDocker: true },
        tiers: { edge: { nodes: 1 } },
        nodes,
        runDir: pctx.run.dir,
      });
    let ctx: ReturnType<typeof rctx> | undefined;
    try {
      const infra: Infrastructure = await qemu.default.provision(pctx as never);
      nodes = await qemu.default.attach(pctx as never, infra);
      ctx = rctx();
      const t0 = Date.now();
      const cluster = (await rm.install(ctx)) as { image: string };
      console.log(`[rm-docker qemu e2e] install (docker.io + runtime image) ${(Date.now() - t0) / 1000} s`);
      const edge = nodes[0] as Node;
      expect((await docker(edge, {}, ['image', 'inspect', cluster.image], { check: false })).exitCode).toBe(
        0,
      );
      const app = join(scratch, 'app');
      rmSync(app, { recursive: true, force: true });
      mkdirSync(app, { recursive: true });
      writeFileSync(
        join(app, 'main.mjs'),
        "console.log('Start the application', process.env.WHO); console.log('End the application');\n",
      );
      const started = Date.now();
      const w = await rm.runner(ctx, cluster as never).run({
        name: 'worker-edge0',
        node: 'edge0',
        command: [process.execPath, '/opt/ct-app/main.mjs'],
        env: { WHO: 'in a guest container' },
        cpu: 0.5,
        files: [{ from: app, to: '/opt/ct-app' }],
      });
      const exit = await w.wait({ timeoutMs: 300_000 });
      console.log(`[rm-docker qemu e2e] component start-to-exit ${(Date.now() - started) / 1000} s`);
      expect(exit.phase).toBe('succeeded');
      expect((await w.logs()).map((l) => l.line)).toEqual([
        'Start the application in a guest container',
        'End the application',
      ]);
      expect(w.timeline().at(-1)?.phase).toBe('succeeded');
    } finally {
      if (ctx !== undefined) await rm.teardown(ctx);
      const qemu = await import('@continuum/provider-qemu');
      await qemu.default.teardown(pctx as never);
    }
  }, 1_800_000);
});
