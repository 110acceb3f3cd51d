import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { capabilityContract, createTestContext } from '@continuum/plugin-api/testing';
import type { PluginManifest } from '@continuum/plugin-api';
import { requireBuild } from './helpers.js';

const pkgRoot = new URL('../', import.meta.url);
const manifest = (
  JSON.parse(readFileSync(new URL('package.json', pkgRoot), 'utf8')) as { continuum: PluginManifest }
).continuum;

describe('capability contract', () => {
  for (const c of capabilityContract({
    manifest,
    load: (entry) => {
      requireBuild();
      return import(new URL(entry, pkgRoot).href) as Promise<Record<string, unknown>>;
    },
    makeContext: () => createTestContext({ config: {} }),
    validOptions: { mqtt: { implementation: 'embedded', port: 1884, nodes: 'workers' } },
  })) {
    it(c.name, c.run);
  }
});
