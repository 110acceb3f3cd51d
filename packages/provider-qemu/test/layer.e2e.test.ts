/**
 * A resource-manager layer on the real base image (opt-in: CONTINUUM_QEMU_TESTS=1, root): packages
 * from the Debian mirror installed in a chroot of the loop-mounted parent, stored as a qcow2 backed
 * by the parent, cached by a key that changes with the recipe.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBaseImage } from '../src/images/build.js';
import { buildLayer } from '../src/images/layer.js';
import { qemuTestsEnabled } from './helpers.js';

const root = mkdtempSync('/var/tmp/cq-layer-test-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.runIf(qemuTestsEnabled)('image layers', () => {
  it('installs packages + script into a qcow2 backed by the base, and caches it by recipe', async () => {
    const base = (await buildBaseImage({ niceness: 10 })).image;
    const recipe = { name: 'test-layer', packages: ['jq'], script: 'echo layered > /etc/continuum-layer\n' };
    const first = await buildLayer(base, recipe, { root });
    expect(first.cached).toBe(false);
    console.log(`[provider-qemu e2e] layer built in ${first.seconds} s`);
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '--output=json', first.image.disk], { encoding: 'utf8' }),
    ) as { 'backing-filename'?: string; 'actual-size': number };
    expect(info['backing-filename']).toBe(base.disk);
    expect(info['actual-size']).toBeLessThan(200 * 2 ** 20);
    expect(first.image.kernel).toBeDefined();
    expect(readFileSync(join(first.image.dir, 'packages.txt'), 'utf8')).toMatch(/^jq /m);

    // The layer's filesystem really has the package and the script's file.
    const raw = join(root, 'check.raw');
    const mnt = join(root, 'mnt');
    mkdirSync(mnt);
    execFileSync('qemu-img', ['convert', '-O', 'raw', first.image.disk, raw]);
    execFileSync('mount', ['-o', 'loop,ro', raw, mnt]);
    try {
      expect(existsSync(join(mnt, 'usr/bin/jq'))).toBe(true);
      expect(readFileSync(join(mnt, 'etc/continuum-layer'), 'utf8')).toBe('layered\n');
    } finally {
      execFileSync('umount', [mnt]);
      rmSync(raw, { force: true });
    }

    const again = await buildLayer(base, recipe, { root });
    expect(again.cached).toBe(true);
    expect(again.image.key).toBe(first.image.key);
    const { layerKey } = await import('../src/images/recipe.js');
    expect(layerKey(base.key, { ...recipe, script: 'echo v2 > /etc/continuum-layer\n' })).not.toBe(
      first.image.key,
    );
  }, 600_000);
});
