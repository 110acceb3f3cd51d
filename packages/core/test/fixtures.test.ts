import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PluginManifest, Provider } from '@continuum/plugin-api';
import { capabilityContract, createTestContext, providerContract } from '@continuum/plugin-api/testing';
import { tempDir } from './helpers/tmp.js';

// The fixture plugins the integration tests use meet the same contract kits as real plugins.
const root = new URL('./fixtures/plugins/', import.meta.url);
const markerDir = tempDir('continuum-fixture-contract-');

for (const name of ['provider-fake', 'os-fake', 'app-fake', 'monitor-fake']) {
  const dir = new URL(`${name}/`, root);
  const manifest = (
    JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { continuum: PluginManifest }
  ).continuum;
  describe(`fixture ${name}: capability contract`, () => {
    for (const c of capabilityContract({
      manifest,
      load: (entry) => import(new URL(entry, dir).href),
      makeContext: () =>
        createTestContext<unknown, unknown>({
          config: { markerDir },
          runDir: tempDir('continuum-fixture-run-'),
        }),
      validOptions: Object.fromEntries(manifest.capabilities.map((cap) => [cap.name, { markerDir }])),
    })) {
      it(c.name, c.run);
    }
  });
}

describe('fixture provider-fake: provider contract', async () => {
  const mod = (await import(
    pathToFileURL(join(new URL('provider-fake/', root).pathname, 'index.js')).href
  )) as { default: Provider<{ markerDir: string; hang: boolean; teardownDelayMs: number }, unknown> };
  const provider = mod.default;
  for (const c of providerContract({
    provider,
    makeContext: () =>
      createTestContext({
        config: { markerDir, hang: false, teardownDelayMs: 0 },
        tiers: { cloud: { nodes: 1 }, endpoint: { nodes: 2 } },
        runDir: tempDir('continuum-fixture-run-'),
      }),
    assertNothingLeft: () => {
      expect(readdirSync(markerDir)).toEqual([]);
      return Promise.resolve();
    },
  })) {
    it(c.name, c.run);
  }
});

describe('fixture wrong-api', () => {
  it('declares an apiVersion the core does not support', () => {
    const manifest = JSON.parse(readFileSync(new URL('wrong-api/package.json', root), 'utf8')) as {
      continuum: PluginManifest;
    };
    expect(manifest.continuum.apiVersion).not.toBe(1);
  });
});
