import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/engine/config-schema.js';
import { loadConfigFile } from '../../src/engine/config-loader.js';
import { yamlLocator } from '../../src/engine/source-map.js';
import { resolveTopology } from '../../src/engine/topology.js';
import { pathFromString } from '../../src/engine/validate.js';
import { tempDir } from '../helpers/tmp.js';

const minimal = { infrastructure: { cloud: { nodes: 1, cores: 2, memory: 2, quota: 1 } } };

describe('core config schema', () => {
  it('fills defaults for everything optional', () => {
    const c = configSchema.parse(minimal);
    expect(c.provider).toEqual({ use: 'local', options: {} });
    expect(c.services).toEqual([]);
    expect(c.monitors).toEqual([]);
    expect(c.infrastructure.edge.nodes).toBe(0);
    expect(c.infrastructure.network).toMatchObject({
      emulation: false,
      preset: '4g',
      validate: true,
      throughput: true,
    });
    expect(c.run).toEqual({
      keep: false,
      timeouts: { provision: 900, install: 1800, benchmark: 3600, collect: 600, teardown: 900 },
    });
  });

  it('requires sizes only for tiers with nodes (upstream rule)', () => {
    const r = configSchema.safeParse({ infrastructure: { cloud: { nodes: 2 }, edge: { nodes: 0 } } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual([
      'infrastructure.cloud.cores',
      'infrastructure.cloud.memory',
      'infrastructure.cloud.quota',
    ]);
  });

  it('rejects unknown keys, bad ranges, zero nodes and duplicate selections', () => {
    const r = configSchema.safeParse({
      infrastructure: {
        cloud: { nodes: 0 },
        network: { links: { 'cloud-endpoint': { latency: -3 } }, preset: '3g' },
      },
      services: [{ use: 'mqtt' }, { use: 'mqtt' }],
      extra: true,
    });
    expect(r.success).toBe(false);
    const messages = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.code}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        ': unrecognized_keys',
        'infrastructure.network.links.cloud-endpoint.latency: too_small',
        'infrastructure.network.preset: invalid_value',
      ]),
    );
  });

  it('checks the cross-field rules once the shape is right', () => {
    const r = configSchema.safeParse({
      infrastructure: { cloud: { nodes: 0 } },
      services: [{ use: 'mqtt' }, { use: 'mqtt' }],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['infrastructure', 'services.1.use']);
  });
});

describe('topology resolution', () => {
  it('converts units, names nodes, applies link overrides over the preset', () => {
    const c = configSchema.parse({
      infrastructure: {
        cloud: { nodes: 2, cores: 2, memory: 1.5, quota: 1 },
        endpoint: { nodes: 1, cores: 1, memory: 0.5, quota: 0.5, readSpeed: 100 },
        network: { emulation: true, preset: '5g', links: { 'cloud-endpoint': { latency: 20, loss: 1 } } },
      },
    });
    const t = resolveTopology(c, true);
    expect(t.mode).toBe('cloud');
    expect(t.nodes.map((n) => `${n.name}:${n.role}`)).toEqual([
      'cloud_controller:cloud-controller',
      'cloud0:cloud',
      'endpoint0:endpoint',
    ]);
    expect(t.nodes[0]!.limits).toMatchObject({ cores: 2, memoryMiB: 1536, cpuQuota: 1 });
    expect(t.nodes[2]!.limits).toMatchObject({ memoryMiB: 512, cpuQuota: 0.5, diskReadMBps: 100 });
    const ce = t.network.links.find((l) => l.from === 'cloud' && l.to === 'endpoint')!;
    expect(ce).toMatchObject({ latencyMs: 20, jitterMs: 5, rateMbit: 29.66, lossPct: 1 });
    expect(t.network.links.some((l) => l.from === 'endpoint' && l.to === 'endpoint')).toBe(false);
    expect(resolveTopology(c, false).nodes.map((n) => n.name)).toEqual(['cloud0', 'cloud1', 'endpoint0']);
  });
});

describe('YAML locations', () => {
  const text = [
    'infrastructure:',
    '  cloud:',
    '    nodes: 1',
    '    quota: 3',
    'services:',
    '  - use: mqtt',
    '  - use: kafka',
    '    options: { port: x }',
    '',
  ].join('\n');
  const loc = yamlLocator('c.yaml', text);

  it('maps full paths to file:line', () => {
    expect(loc.locate(['infrastructure', 'cloud', 'quota'])).toBe('c.yaml:4');
    expect(loc.locate(['services', 1, 'use'])).toBe('c.yaml:7');
    expect(loc.locate(['services', 1, 'options', 'port'])).toBe('c.yaml:8');
  });

  it('reports a missing key at its nearest existing parent', () => {
    expect(loc.locate(['infrastructure', 'cloud', 'cores'])).toBe('c.yaml:2');
  });

  it('parses issue paths back', () => {
    expect(pathFromString('services[0].options.port')).toEqual(['services', 0, 'options', 'port']);
    expect(pathFromString('(root)')).toEqual([]);
  });
});

describe('config loading', () => {
  const dir = tempDir('continuum-cfg-');

  it('reads YAML, JSON and TS configs by path, with locators for YAML/JSON', async () => {
    writeFileSync(join(dir, 'a.yaml'), 'infrastructure:\n  cloud: { nodes: 1 }\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify(minimal, null, 2));
    writeFileSync(
      join(dir, 'c.config.ts'),
      `const nodes: number = 3;\nexport default { infrastructure: { endpoint: { nodes, cores: 1, memory: 1, quota: 1 } } };\n`,
    );
    const a = await loadConfigFile('a.yaml', dir);
    expect(a.format).toBe('yaml');
    expect(a.locator?.locate(['infrastructure', 'cloud', 'nodes'])).toBe(`${join(dir, 'a.yaml')}:2`);
    const b = await loadConfigFile(join(dir, 'b.json'));
    expect(b.raw).toEqual(minimal);
    expect(b.locator?.locate(['infrastructure', 'cloud', 'quota'])).toMatch(/b\.json:\d+$/);
    const c = await loadConfigFile('c.config.ts', dir);
    expect(c.format).toBe('ts');
    expect(c.raw).toEqual({ infrastructure: { endpoint: { nodes: 3, cores: 1, memory: 1, quota: 1 } } });
  });

  it('searches the directory when no path is given', async () => {
    const d = tempDir('continuum-search-');
    await expect(loadConfigFile(undefined, d)).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
    writeFileSync(join(d, 'continuum.config.yaml'), 'infrastructure: { cloud: { nodes: 1 } }\n');
    expect((await loadConfigFile(undefined, d)).filepath).toBe(join(d, 'continuum.config.yaml'));
  });

  it('does not mistake a plugin declaration in package.json for a config', async () => {
    const d = tempDir('continuum-plugin-dir-');
    writeFileSync(
      join(d, 'package.json'),
      JSON.stringify({ name: 'p', continuum: { apiVersion: 1, capabilities: [] } }),
    );
    await expect(loadConfigFile(undefined, d)).rejects.toThrow(/declares plugin capabilities/);
    writeFileSync(join(d, 'package.json'), JSON.stringify({ name: 'p', continuum: minimal }));
    expect((await loadConfigFile(undefined, d)).raw).toEqual(minimal);
  });

  it('reports unreadable, empty and syntactically broken files as config errors', async () => {
    await expect(loadConfigFile('nope.yaml', dir)).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
    writeFileSync(join(dir, 'empty.yaml'), '');
    await expect(loadConfigFile('empty.yaml', dir)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    writeFileSync(join(dir, 'broken.yaml'), 'infrastructure: [\n');
    await expect(loadConfigFile('broken.yaml', dir)).rejects.toMatchObject({ code: 'CONFIG_LOAD' });
  });
});
