import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, it } from 'vitest';
import { capabilityContract, createTestContext } from '@continuum/plugin-api/testing';
import type { PluginManifest } from '@continuum/plugin-api';

const pkgRoot = new URL('../', import.meta.url);
const manifest = (
  JSON.parse(readFileSync(new URL('package.json', pkgRoot), 'utf8')) as { continuum: PluginManifest }
).continuum;

const runDirs: string[] = [];
afterAll(() => runDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('capability contract', () => {
  for (const c of capabilityContract({
    manifest,
    load: (entry) => import(new URL(entry, pkgRoot).href) as Promise<Record<string, unknown>>,
    makeContext: () => {
      const ctx = createTestContext({ config: {} });
      runDirs.push(ctx.run.dir);
      return ctx;
    },
    validOptions: { scaphandre: { mode: 'estimate', powerModel: { wattsPerCore: 10 } } },
  })) {
    it(c.name, c.run);
  }
});
