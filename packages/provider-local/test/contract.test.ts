import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PluginManifest } from '@continuum/plugin-api';
import { capabilityContract, providerContract } from '@continuum/plugin-api/testing';
import provider from '../src/index.js';
import { isRoot, leftovers, makeContext, quietValidation, tagOf } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  continuum: PluginManifest;
};

describe('capability contract', () => {
  for (const c of capabilityContract({
    manifest: pkg.continuum,
    load: (entry) => import(new URL(`../${entry}`, import.meta.url).href),
    makeContext: () => makeContext({ tiers: { cloud: { nodes: 1 } } }),
  })) {
    it(c.name, c.run);
  }
});

describe.runIf(isRoot)('provider contract (netns)', () => {
  for (const c of providerContract({
    provider,
    makeContext: () =>
      makeContext({
        tiers: { cloud: { nodes: 1 }, edge: { nodes: 1 }, endpoint: { nodes: 1 } },
        config: quietValidation,
      }),
    assertNothingLeft: (ctx) => {
      expect(leftovers(tagOf(ctx.run.id))).toEqual([]);
      return Promise.resolve();
    },
  })) {
    it(c.name, c.run, 30000);
  }
});

describe('provider contract (process mode)', () => {
  for (const c of providerContract({
    provider,
    makeContext: () =>
      makeContext({ tiers: { cloud: { nodes: 1 }, endpoint: { nodes: 1 } }, config: { mode: 'process' } }),
    assertNothingLeft: () => Promise.resolve(),
  })) {
    it(c.name, c.run);
  }
});
