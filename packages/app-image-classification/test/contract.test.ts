import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import type { PluginManifest } from '@continuum/plugin-api';
import { capabilityContract, createTestContext } from '@continuum/plugin-api/testing';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  continuum: PluginManifest;
};

describe('plugin-api capability contract', () => {
  for (const c of capabilityContract({
    manifest: pkg.continuum,
    load: (entry) => import(new URL(`../${entry}`, import.meta.url).href) as Promise<Record<string, unknown>>,
    makeContext: () => createTestContext({ config: { frequency: 1, duration: 1 } }),
    validOptions: { 'image-classification': { frequency: 5, duration: 30 } },
  })) {
    it(c.name, c.run);
  }
});
