/**
 * identity: cloud-init on a real VM (opt-in: CONTINUUM_QEMU_TESTS=1 CONTINUUM_QEMU_CLOUDINIT=1, root).
 * The same path serves foreign cloud images: NoCloud seed keyed by interface name + MAC, root by key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTag } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import qemuProvider from '../src/index.js';
import type { QemuOptions } from '../src/config.js';
import type { QemuState } from '../src/state.js';
import { linksWithTag, processesWithTag, qemuTestsEnabled } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'cq-ci-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.runIf(qemuTestsEnabled && process.env['CONTINUUM_QEMU_CLOUDINIT'] === '1')(
  'cloud-init identity',
  () => {
    it('boots one VM configured only by its NoCloud seed', async () => {
      const ctx = createTestContext<QemuOptions, QemuState>({
        config: {
          prefixIP: '10.231',
          middleIP: 235,
          accel: 'tcg',
          identity: 'cloud-init',
          bootTimeoutS: 500,
        } as QemuOptions,
        tiers: { edge: { nodes: 1, memoryMiB: 512 } },
        runDir: mkdtempSync(join(scratch, 'run-')),
      });
      Object.assign(ctx.host, { isRoot: true });
      const tag = runTag(ctx.run.id);
      try {
        const infra = await qemuProvider.provision(ctx);
        console.log('[provider-qemu e2e] cloud-init boot', JSON.stringify(infra.details['bootToSshMs']));
        const [node] = await qemuProvider.attach(ctx, infra);
        expect((await node!.exec(['hostname'])).stdout.trim()).toBe('edge0');
        expect((await node!.exec(['cloud-init', 'status', '--wait'])).stdout).toMatch(/done/);
        await node!.dispose?.();
      } finally {
        await qemuProvider.teardown(ctx);
      }
      expect(processesWithTag(tag)).toEqual([]);
      expect(linksWithTag(tag)).toEqual([]);
    }, 700_000);
  },
);
