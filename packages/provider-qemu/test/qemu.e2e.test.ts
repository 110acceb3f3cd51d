/**
 * Real VMs under QEMU (TCG on the CI machine). Opt-in: CONTINUUM_QEMU_TESTS=1, as root.
 * Builds the base image once (cached in $XDG_CACHE_HOME/continuum/images), boots a cloud and an
 * endpoint VM, applies a 10 ms one-way link (20 ms RTT), measures it, drives the node API, tears
 * down from state alone and checks that nothing is left.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLinks, runTag } from '@continuum/plugin-api';
import type { Infrastructure, Node } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import { buildBaseImage } from '../src/images/build.js';
import qemuProvider from '../src/index.js';
import type { QemuOptions } from '../src/config.js';
import type { QemuState } from '../src/state.js';
import {
  containing,
  filesIn,
  linksWithTag,
  matching,
  processesWithTag,
  qemuTestsEnabled,
} from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'cq-e2e-'));

function makeContext(config: Partial<QemuOptions>, middleIP: number) {
  const ctx = createTestContext<QemuOptions, QemuState>({
    config: { prefixIP: '10.231', middleIP, ...config } as QemuOptions,
    tiers: {
      cloud: { nodes: 1, memoryMiB: 512, cores: 1 },
      endpoint: { nodes: 1, memoryMiB: 512, cores: 1 },
    },
    emulation: true,
    runDir: mkdtempSync(join(scratch, 'run-')),
  });
  Object.assign(ctx.host, { isRoot: true });
  // 10 ms each way between cloud and endpoint, no jitter: the ping matrix must see ~20 ms.
  ctx.topology.network.links = resolveLinks(
    '4g',
    { 'cloud-endpoint': { latencyMs: 10, jitterMs: 0, rateMbit: 50 } },
    ['cloud', 'endpoint'],
  );
  return ctx;
}

describe.runIf(qemuTestsEnabled)('qemu provider on real VMs', () => {
  beforeAll(async () => {
    const res = await buildBaseImage({ niceness: 10 });
    console.log(
      `[provider-qemu e2e] image ${res.image.key} ${res.cached ? 'cached' : `built in ${res.seconds} s`}`,
    );
  }, 900_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('boots cloud + endpoint, shapes a 20 ms RTT link, runs commands, tears down leaving nothing', async () => {
    const ctx = makeContext({ accel: 'auto', bootTimeoutS: 400 }, 231);
    const tag = runTag(ctx.run.id);
    let infra: Infrastructure | undefined;
    let nodes: Node[] = [];
    try {
      const t0 = Date.now();
      infra = await qemuProvider.provision(ctx);
      console.log(
        `[provider-qemu e2e] provision ${(Date.now() - t0) / 1000} s`,
        JSON.stringify(infra.details),
      );
      expect(infra.nodes.map((n) => n.name).sort()).toEqual(['cloud0', 'endpoint0']);
      expect(['tcg', 'kvm']).toContain(infra.details['acceleration']);
      expect(infra.nodes[0]!.access.kind).toBe('ssh');
      expect(infra.nodes[0]!.access.shell).toMatch(/^ssh -i \S+id_ed25519 .* root@10\.231\.231\.2$/);

      // The link as measured by ping inside the guests (the provider already ran the matrix).
      expect(infra.emulation.backend).toBe('netem');
      const m = infra.emulation.measurements.find((x) => x.fromTier !== x.toTier);
      console.log('[provider-qemu e2e] measurements', JSON.stringify(infra.emulation.measurements));
      expect(m?.configuredRttMs).toBe(20);
      // netem cannot make it faster; what the links add on top of the unshaped (TCG) RTT must be ~20 ms.
      expect(m?.measuredRttMs).toBeGreaterThan(19.5);
      const added = Number(/links add ([\d.]+) ms/.exec(m?.note ?? '')?.[1]);
      expect(Math.abs(added - 20)).toBeLessThan(3.5);
      expect(m?.ok).toBe(true);

      nodes = await qemuProvider.attach(ctx, JSON.parse(JSON.stringify(infra)) as Infrastructure);
      const cloud = nodes.find((n) => n.name === 'cloud0')!;
      const endpoint = nodes.find((n) => n.name === 'endpoint0')!;
      expect((await cloud.exec(['hostname'])).stdout.trim()).toBe('cloud0');
      expect(
        (await cloud.exec(['sh', '-c', 'echo "$A $0"', 'x y'], { env: { A: 'it works' } })).stdout.trim(),
      ).toBe('it works x y');
      const fail = await cloud.exec(['false'], { check: false });
      expect(fail.exitCode).toBe(1);
      await expect(cloud.exec(['false'])).rejects.toMatchObject({ code: 'QEMU_NODE_EXEC_FAILED' });
      // Key-only login: password authentication is off.
      expect((await cloud.exec(['sshd', '-T'])).stdout).toMatch(/^passwordauthentication no$/m);

      // copy / fetch
      const local = join(scratch, 'payload.txt');
      writeFileSync(local, 'hello from the host\n');
      await endpoint.copy(local, '/root/in/payload.txt');
      expect((await endpoint.exec(['cat', '/root/in/payload.txt'])).stdout).toBe('hello from the host\n');
      const back = join(scratch, 'back.txt');
      await endpoint.fetch('/root/in/payload.txt', back);
      expect(readFileSync(back, 'utf8')).toBe('hello from the host\n');

      // detached spawn survives the session; stop by PID with start-time check
      const proc = await cloud.spawn(['sh', '-c', 'echo started; exec sleep 300'], {
        logFile: join(scratch, 'sleeper.log'),
        detached: true,
      });
      expect(proc.ref.pid).toBeGreaterThan(1);
      expect(await cloud.isRunning(proc.ref)).toBe(true);
      await cloud.stop(proc.ref, { graceMs: 2000 });
      expect(await cloud.isRunning(proc.ref)).toBe(false);
      expect(readFileSync(join(scratch, 'sleeper.log'), 'utf8')).toContain('started');

      // attached spawn streams lines
      const lines: string[] = [];
      const attached = await endpoint.spawn(['sh', '-c', 'echo one; echo two >&2; echo three'], {
        logFile: join(scratch, 'attached.log'),
        onLine: (line) => lines.push(line),
      });
      expect((await attached.wait()).exitCode).toBe(0);
      expect(lines.sort()).toEqual(['one', 'three', 'two']);
    } finally {
      for (const n of nodes) await n.dispose?.();
      // Teardown from the state alone, in a fresh context, twice (idempotent).
      const fresh = makeContext({}, 231);
      Object.assign(fresh.run, { id: ctx.run.id });
      const saved = ctx.state.get();
      if (saved !== undefined) await fresh.state.set(saved);
      const t1 = Date.now();
      await qemuProvider.teardown(fresh);
      console.log(`[provider-qemu e2e] teardown ${(Date.now() - t1) / 1000} s`);
      await qemuProvider.teardown(fresh);
    }
    expect(processesWithTag(tag)).toEqual([]);
    expect(linksWithTag(tag)).toEqual([]);
    expect(filesIn(join(ctx.workDir, 'vms'))).toEqual([]);
  }, 600_000);

  it('refuses a bridge name that exists and is not ours, and leaves it alone', async () => {
    const ctx = makeContext({ accel: 'tcg' }, 232);
    const tag = runTag(ctx.run.id);
    const foreign = `cbr-${tag}`;
    execFileSync('ip', ['link', 'add', 'name', foreign, 'type', 'bridge']);
    try {
      await expect(qemuProvider.provision(ctx)).rejects.toMatchObject({
        code: 'QEMU_BRIDGE_EXISTS',
        message: containing(foreign),
      });
      expect(linksWithTag(tag)).toEqual([foreign]);
      expect(processesWithTag(tag)).toEqual([]);
    } finally {
      execFileSync('ip', ['link', 'del', foreign]);
    }
  });

  it('a VM that never boots fails with a clear error naming the VM and console log, and everything is removed', async () => {
    const ctx = makeContext({ accel: 'tcg', bootTimeoutS: 3 }, 233);
    const tag = runTag(ctx.run.id);
    await expect(qemuProvider.provision(ctx)).rejects.toMatchObject({
      code: 'QEMU_BOOT_TIMEOUT',
      message: matching(/VM (cloud0|endpoint0) did not accept ssh/),
      hint: containing('console.log'),
    });
    expect(processesWithTag(tag)).toEqual([]);
    expect(linksWithTag(tag)).toEqual([]);
    expect(filesIn(join(ctx.workDir, 'vms')).filter((f) => f.endsWith('.qcow2'))).toEqual([]);
  }, 120_000);

  it('not enough memory for the requested VMs: clear error before anything is created', async () => {
    const ctx = createTestContext<QemuOptions, QemuState>({
      config: { prefixIP: '10.231', middleIP: 234, accel: 'tcg' } as QemuOptions,
      tiers: { cloud: { nodes: 2, memoryMiB: 64 * 1024 } },
      runDir: mkdtempSync(join(scratch, 'run-')),
    });
    Object.assign(ctx.host, { isRoot: true });
    const tag = runTag(ctx.run.id);
    await expect(qemuProvider.provision(ctx)).rejects.toMatchObject({
      code: 'QEMU_NOT_ENOUGH_MEMORY',
      message: containing('MiB available'),
    });
    expect(linksWithTag(tag)).toEqual([]);
    expect(ctx.state.get()).toBeUndefined();
  });
});
