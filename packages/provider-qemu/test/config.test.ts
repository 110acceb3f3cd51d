import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capabilityContract, createTestContext } from '@continuum/plugin-api/testing';
import { validateWithSchema } from '@continuum/plugin-api';
import pkg from '../package.json' with { type: 'json' };
import { qemuOptionsSchema } from '../src/config.js';
import { assertMemoryFits, availableMemoryMiB, pinPlan } from '../src/resources.js';
import { resolveImage } from '../src/images/resolve.js';
import { baseKey, DEFAULT_RECIPE, layerKey } from '../src/images/recipe.js';
import { findImage, listImages, removeImage } from '../src/images/cache.js';
import qemuProvider from '../src/index.js';
import { containing } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'cq-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('plugin contract', () => {
  for (const c of capabilityContract({
    manifest: {
      ...pkg.continuum,
      capabilities: pkg.continuum.capabilities.map((c) => ({ ...c, kind: 'provider' as const })),
    },
    load: (entry) =>
      import(new URL(`../src/${entry.replace('./dist/', '').replace(/\.js$/, '.ts')}`, import.meta.url).href),
    makeContext: () => createTestContext<unknown, unknown>({ config: {} }),
  })) {
    it(c.name, c.run);
  }
});

describe('options schema', () => {
  it('fills defaults', () => {
    const o = qemuOptionsSchema.parse({});
    expect(o).toMatchObject({
      image: 'built',
      backend: 'qemu',
      accel: 'auto',
      tbSizeMiB: 128,
      identity: 'cmdline',
      prefixIP: '192.168',
      middleIP: 100,
      nat: false,
    });
  });
  it('rejects bad values with paths', async () => {
    const res = await validateWithSchema(qemuOptionsSchema, {
      prefixIP: '192',
      middleIP: 300,
      bridge: 'a-name-that-is-way-too-long',
      accel: 'hvf',
      externalHosts: [{ uri: 'ssh://x', address: 'h' }],
    });
    expect(res.ok).toBe(false);
    const paths = res.ok ? [] : res.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['prefixIP', 'middleIP', 'bridge', 'accel', 'externalHosts[0].uri']),
    );
  });
});

describe('bad input fails early with a clear error', () => {
  it('missing built image names the command that builds it', () => {
    expect(() => resolveImage({ image: 'built' }, join(tmp, 'empty'))).toThrow(
      expect.objectContaining({ code: 'QEMU_IMAGE_MISSING', hint: containing('continuum images build') }),
    );
  });
  it('missing cloud image file names the option', () => {
    expect(() => resolveImage({ image: { file: join(tmp, 'nope.qcow2'), root: '/dev/vda1' } })).toThrow(
      /options\.image\.file/,
    );
  });
  it('a raw or qcow2 cloud image file is detected by its magic', () => {
    const raw = join(tmp, 'disk.img');
    writeFileSync(raw, Buffer.alloc(512));
    expect(resolveImage({ image: { file: raw, root: '/dev/vda1' } }).format).toBe('raw');
    const q = join(tmp, 'disk.qcow2');
    writeFileSync(q, Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(508)]));
    expect(resolveImage({ image: { file: q, root: '/dev/vda1' } }).format).toBe('qcow2');
  });
  it('not enough memory', () => {
    expect(() =>
      assertMemoryFits(
        [
          { node: 'cloud0', memoryMiB: 4096 },
          { node: 'edge0', memoryMiB: 4096 },
        ],
        160,
        6000,
      ),
    ).toThrow(expect.objectContaining({ code: 'QEMU_NOT_ENOUGH_MEMORY' }));
    expect(() => assertMemoryFits([{ node: 'cloud0', memoryMiB: 512 }], 160, 6000)).not.toThrow();
    expect(availableMemoryMiB('MemTotal: 100 kB\nMemAvailable:    2097152 kB\n')).toBe(2048);
  });
  it('cpu pinning refuses oversubscription, otherwise pins sequentially from core 0', () => {
    expect(pinPlan([1, 2], 4)).toEqual([[0], [1, 2]]);
    expect(() => pinPlan([2, 2], 2)).toThrow(expect.objectContaining({ code: 'QEMU_PIN_OVERSUBSCRIBED' }));
  });
  it('validate() reports a missing image and an oversized topology as diagnostics', async () => {
    const prev = process.env['XDG_CACHE_HOME'];
    process.env['XDG_CACHE_HOME'] = join(tmp, 'nocache');
    try {
      const ctx = createTestContext({ config: {}, tiers: { cloud: { nodes: 2, memoryMiB: 10_000_000 } } });
      const diags = await qemuProvider.validate!(ctx as never);
      expect(diags.map((d) => d.message).join('\n')).toMatch(/not built/);
      expect(diags.map((d) => d.message).join('\n')).toMatch(/MiB available/);
    } finally {
      if (prev === undefined) delete process.env['XDG_CACHE_HOME'];
      else process.env['XDG_CACHE_HOME'] = prev;
    }
  });
});

describe('image cache keys', () => {
  it('change with the package list and the build script (no stale cache)', () => {
    const k = baseKey(DEFAULT_RECIPE, 'script v1');
    expect(baseKey(DEFAULT_RECIPE, 'script v1')).toBe(k);
    expect(baseKey(DEFAULT_RECIPE, 'script v2')).not.toBe(k);
    expect(
      baseKey({ ...DEFAULT_RECIPE, packages: [...DEFAULT_RECIPE.packages, 'htop'] }, 'script v1'),
    ).not.toBe(k);
    expect(
      baseKey({ ...DEFAULT_RECIPE, packages: [...DEFAULT_RECIPE.packages].reverse() }, 'script v1'),
    ).toBe(k);
  });
  it('layer keys depend on parent, packages and script', () => {
    const layer = { name: 'rm-docker', packages: ['docker.io'], script: 'systemctl disable docker' };
    const k = layerKey('base-1', layer);
    expect(k.startsWith('rm-docker-')).toBe(true);
    expect(layerKey('base-2', layer)).not.toBe(k);
    expect(layerKey('base-1', layer, 'builder v1')).not.toBe(layerKey('base-1', layer, 'builder v2'));
    expect(layerKey('base-1', { ...layer, packages: ['docker.io', 'containerd'] })).not.toBe(k);
    expect(layerKey('base-1', { ...layer, script: 'true' })).not.toBe(k);
  });
  it('list/rm work on complete images only and protect parents of layers', () => {
    const root = join(tmp, 'images');
    const mk = (key: string, parent?: string): void => {
      mkdirSync(join(root, key), { recursive: true });
      writeFileSync(join(root, key, 'base.qcow2'), 'x');
      writeFileSync(
        join(root, key, 'manifest.json'),
        JSON.stringify({
          key,
          kind: parent ? 'layer' : 'base',
          parent,
          builtAt: new Date().toISOString(),
          buildSeconds: 1,
          recipe: {},
        }),
      );
    };
    mk('base-1');
    mk('rm-1', 'base-1');
    mkdirSync(join(root, '.build-base-2-123'), { recursive: true });
    mkdirSync(join(root, 'half-done'), { recursive: true });
    expect(
      listImages(root)
        .map((i) => i.key)
        .sort(),
    ).toEqual(['base-1', 'rm-1']);
    expect(() => removeImage('base-1', root)).toThrow(expect.objectContaining({ code: 'QEMU_IMAGE_IN_USE' }));
    removeImage('rm-1', root);
    removeImage('base-1', root);
    expect(findImage('base-1', root)).toBeUndefined();
    expect(() => removeImage('base-1', root)).toThrow(
      expect.objectContaining({ code: 'QEMU_IMAGE_NOT_FOUND' }),
    );
  });
});
