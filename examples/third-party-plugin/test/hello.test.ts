import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeInfo, PluginManifest } from '@continuum/plugin-api';
import { createHostNode, createProcessRunner, validateWithSchema } from '@continuum/plugin-api';
import { capabilityContract, createTestContext } from '@continuum/plugin-api/testing';
import hello, { parseHelloLine, type HelloOptions } from '../src/index.js';

const dirs: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hello-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  continuum: PluginManifest;
};

describe('hello plugin contract', () => {
  for (const c of capabilityContract({
    manifest: pkg.continuum,
    load: (entry) =>
      import(new URL(`../${entry.replace('./dist/', 'src/').replace(/\.js$/, '.ts')}`, import.meta.url).href),
    makeContext: () =>
      createTestContext<unknown, unknown>({ config: { greeting: 'hi', timeout: 5 }, runDir: scratch() }),
  })) {
    it(c.name, c.run);
  }
});

describe('hello options', () => {
  it('applies defaults and rejects bad values with paths', async () => {
    const ok = await validateWithSchema(hello.configSchema!, {}, ['application', 'options']);
    expect(ok).toEqual({ ok: true, value: { greeting: 'hello', timeout: 30 } });
    const bad = await validateWithSchema(
      hello.configSchema!,
      { greeting: '$(rm -rf /)', timeout: -1, colour: 1 },
      ['application', 'options'],
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues.map((i) => i.path).sort()).toEqual([
        'application.options.colour',
        'application.options.greeting',
        'application.options.timeout',
      ]);
  });

  it('parses the component line', () => {
    expect(parseHelloLine('hi from box1 up 1234.56')).toEqual({ hostname: 'box1', uptimeS: 1234.56 });
    expect(parseHelloLine('garbage')).toBeUndefined();
  });
});

describe('hello benchmark on host-process nodes', () => {
  it('runs a component on every node and reports hostname and uptime', async () => {
    const base = createTestContext({
      runDir: scratch(),
      config: { greeting: 'hi', timeout: 10 },
      tiers: { cloud: { nodes: 1 }, endpoint: { nodes: 2 } },
    });
    const infos: NodeInfo[] = base.topology.nodes.map((n) => ({
      name: n.name,
      tier: n.tier,
      role: n.role,
      address: '127.0.0.1',
      limits: n.limits,
      access: { kind: 'process', shell: 'sh' },
      sharesHostFilesystem: true,
    }));
    const nodes = infos.map((i) => createHostNode(i));
    const ctx = createTestContext<HelloOptions, { components: string[] }>({
      config: { greeting: 'hi', timeout: 10 },
      tiers: { cloud: { nodes: 1 }, endpoint: { nodes: 2 } },
      nodes,
      runner: createProcessRunner(nodes, { logDir: `${base.run.dir}/logs` }),
      runDir: base.run.dir,
    });
    const result = await hello.benchmark(ctx);
    expect(result.status).toBe('ok');
    const table = result.tables[0]!;
    expect(table.rows.map((r) => r[0])).toEqual(['cloud0', 'endpoint0', 'endpoint1']);
    for (const row of table.rows) {
      expect(row[1]).toBe(hostname());
      expect(row[2]).toBeGreaterThan(0);
      expect(row[4]).toBe('succeeded');
    }
    await hello.teardown(ctx);
    await hello.teardown(ctx);
  });
});
