// vitest asymmetric matchers (expect.objectContaining …) are typed `any`.

import { afterAll, describe, expect, it } from 'vitest';
import { fakeConfig, Sandbox } from './sandbox.js';

const box = new Sandbox();
box.link('provider-fake', 'os-fake', 'app-fake', 'monitor-fake', 'wrong-api');
afterAll(() => box.cleanup());

describe('continuum CLI (real binary, isolated XDG dirs)', () => {
  it('--help lists the commands and global flags', async () => {
    const r = await box.run(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of [
      'run',
      'up',
      'bench',
      'down',
      'plan',
      'validate',
      'status',
      'capabilities',
      'plugins',
      'config',
    ])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${cmd}\\s`));
    const run = await box.run(['run', '--help']);
    expect(run.stdout).toMatch(/--json/);
    expect(run.stdout).toMatch(/-v, --verbose/);
    expect(run.stdout).toMatch(/--run-dir=<value>/);
    expect(run.stdout).toMatch(/--keep/);
  });

  it('capabilities lists linked plugins from package.json, including a rejected apiVersion, without importing them', async () => {
    const r = await box.run(['capabilities', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      capabilities: {
        kind: string;
        name: string;
        package: string;
        source: string;
        status: string;
        description: string;
      }[];
    };
    const byName = Object.fromEntries(doc.capabilities.map((c) => [c.name, c]));
    expect(byName['fake']).toMatchObject({
      kind: 'provider',
      package: 'continuum-fixture-provider-fake@0.1.0',
      source: 'link',
      status: 'ok',
    });
    expect(byName['fake-monitor']).toMatchObject({ kind: 'monitor' });
    // wrong-api's entry throws when imported: listing it proves nothing was imported.
    expect(byName['from-the-future']).toMatchObject({
      status: 'rejected',
      description: expect.stringContaining('continuum-fixture-wrong-api@3.1.4'),
    });
    const text = await box.run(['capabilities']);
    expect(text.stdout).toMatch(/^KIND\s+NAME\s+PACKAGE\s+API\s+SOURCE\s+STATUS\s+DESCRIPTION/m);
  });

  it('validate reports every problem at once with paths and file:line, exit 2', async () => {
    const file = box.write(
      'bad.yaml',
      [
        'infrastructure:',
        '  cloud: { nodes: 1, memory: 0.5, quota: 3 }',
        '  endpoint: { nodes: 1, cores: 1, memory: 1, quota: 1, colour: red }',
        `provider: { use: fake, options: { markerDir: ${box.markers}, failAt: sometimes } }`,
        'services: [ { use: kafka } ]',
        'resourceManager: { use: kubeedge }',
        '',
      ].join('\n'),
    );
    const r = await box.run(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('infrastructure.cloud.quota: Too big');
    expect(r.stderr).toContain(
      `infrastructure.cloud.cores: required when nodes > 0 (this tier has 1)  (${file}:2)`,
    );
    expect(r.stderr).toContain(
      `infrastructure.endpoint.colour: unknown key "colour" (not allowed here)  (${file}:3)`,
    );
    expect(r.stderr).toMatch(
      new RegExp(`provider\\.options\\.failAt: .*\\(${file.replace(/[.]/g, '\\.')}:4\\)`),
    );
    expect(r.stderr).toContain('continuum plugins:install @continuum/os-kafka');
    expect(r.stderr).toContain('continuum plugins:install @continuum/rm-kubeedge');
    const json = await box.run(['validate', file, '--json']);
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.stdout) as {
      exitCode: number;
      error: { code: string; details: { issues: unknown[] } };
    };
    expect(doc.exitCode).toBe(2);
    expect(doc.error.code).toBe('CONFIG_INVALID');
    expect(doc.error.details.issues).toHaveLength(6);
  });

  it("runs each capability's own validate() once the schemas pass", async () => {
    const file = box.write('rel.yaml', fakeConfig('relative/markers'));
    const r = await box.run(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('provider.options.markerDir: must be an absolute path');
  });

  it('validate accepts a good config with a short summary, exit 0', async () => {
    const file = box.write('good.yaml', fakeConfig(box.markers));
    const r = await box.run(['validate', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /is valid: 3 nodes \(cloud0, endpoint0, endpoint1\), mode cloud; provider fake, operating-service fake-service, monitor fake-monitor, application fake-app/,
    );
  });

  it('refuses a plugin built for another apiVersion with a clear message, exit 2', async () => {
    const file = box.write(
      'future.yaml',
      fakeConfig(box.markers).replace(/application: .*/, 'application: { use: from-the-future }'),
    );
    const r = await box.run(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'application.use: Plugin continuum-fixture-wrong-api@3.1.4 is built for Continuum plugin API version 99, but this core supports apiVersion 1.',
    );
    expect(box.runIds()).toEqual([]);
  });

  it('plan prints the topology, links and each capability plan without creating anything', async () => {
    const file = box.write(
      'plan.yaml',
      fakeConfig(box.markers).replace(
        'infrastructure:\n',
        'infrastructure:\n  network: { emulation: true, links: { cloud-endpoint: { latency: 30, loss: 2 } } }\n',
      ),
    );
    const r = await box.run(['plan', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/endpoint1\s+endpoint\s+1\s+256 MiB\s+0\.5/);
    expect(r.stdout).toMatch(/cloud\s+endpoint\s+30\s+5\s+7\.21\s+2/);
    expect(r.stdout).toMatch(
      /provider\/fake \(continuum-fixture-provider-fake@0\.1\.0\)\n\s+RESOURCE\s+NAME[^\n]*\n\s+marker\s+\S+cloud0\.marker/,
    );
    expect(box.markerFiles()).toEqual([]);
    expect(box.runIds()).toEqual([]);
  });

  it('config schema emits a JSON Schema narrowed to installed capabilities', async () => {
    const r = await box.run(['config', 'schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as {
      properties: Record<
        string,
        {
          oneOf?: {
            properties: { use: { const: string }; options: { properties?: Record<string, unknown> } };
          }[];
          items?: { oneOf: unknown[] };
        }
      >;
    };
    const providers = schema.properties['provider']?.oneOf ?? [];
    const fake = providers.find((p) => p.properties.use.const === 'fake');
    expect(fake?.properties.options.properties).toHaveProperty('markerDir');
    expect(providers.some((p) => p.properties.use.const === 'from-the-future')).toBe(false);
    expect(schema.properties['services']?.items?.oneOf).toHaveLength(1);
    expect(schema.properties).toHaveProperty('infrastructure');
  });

  it('status with no runs says so', async () => {
    const r = await box.run(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no runs in/);
  });

  it('distinguishes a missing config (2) from a runtime failure (1)', async () => {
    const r = await box.run(['run', 'does-not-exist.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does-not-exist\.yaml cannot be read/);
    const down = await box.run(['down', '20990101-000000-zzzz']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/Run 20990101-000000-zzzz has no state/);
  });
});

describe('first-party plugins from the monorepo (production mode)', () => {
  const mono = new Sandbox({ firstParty: true });
  afterAll(() => mono.cleanup());

  it('are found without linking', async () => {
    const r = await mono.run(['capabilities', '--json']);
    expect(r.code).toBe(0);
    const names = (
      JSON.parse(r.stdout) as { capabilities: { name: string; source: string }[] }
    ).capabilities.map((c) => `${c.name}:${c.source}`);
    expect(names).toEqual(expect.arrayContaining(['local:core', 'mqtt:core', 'image-classification:core']));
  });
});
