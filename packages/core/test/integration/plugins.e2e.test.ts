import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, Sandbox } from './sandbox.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLE = join(REPO, 'examples', 'third-party-plugin');
const PLUGIN_API = join(REPO, 'packages', 'plugin-api');

const box = new Sandbox();
let packs = '';
afterAll(() => {
  box.cleanup();
  if (packs !== '') rmSync(packs, { recursive: true, force: true });
});

function pack(dir: string): string {
  execFileSync('npm', ['pack', '--pack-destination', packs, '--loglevel', 'error'], {
    cwd: dir,
    env: { ...process.env, npm_config_cache: join(packs, 'npm-cache') },
    stdio: 'pipe',
  });
  const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const file = join(packs, `${name.name.replace('@', '').replace('/', '-')}-${name.version}.tgz`);
  expect(existsSync(file)).toBe(true);
  return file;
}

describe('plugins: link and install (real oclif plugin-plugins)', () => {
  beforeAll(() => {
    packs = mkdtempSync(join(tmpdir(), 'continuum-packs-'));
    expect(existsSync(join(EXAMPLE, 'dist', 'index.js')), 'build first: npm run build').toBe(true);
  });

  it('`plugins link` registers a fixture provider that then shows in capabilities', async () => {
    const r = await box.run(['plugins', 'link', join(FIXTURES, 'provider-fake'), '--no-install']);
    expect(r.code).toBe(0);
    const caps = await box.run(['capabilities', '--json']);
    expect(
      (JSON.parse(caps.stdout) as { capabilities: { name: string; source: string }[] }).capabilities,
    ).toEqual([expect.objectContaining({ name: 'fake', source: 'link' })]);
  });

  it('`plugins:install` of the packed third-party tarball: it appears in capabilities and runs', async () => {
    const apiTarball = pack(PLUGIN_API);
    const helloTarball = pack(EXAMPLE);
    // plugin-api is not on a registry here: make it resolvable in the plugin data dir first, so
    // npm satisfies hello's "@continuum/plugin-api": "^1.0.0" offline (see the example's README).
    const pjsonFile = join(box.dataDir, 'package.json');
    const pjson = JSON.parse(readFileSync(pjsonFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      pjsonFile,
      JSON.stringify({ ...pjson, dependencies: { '@continuum/plugin-api': `file:${apiTarball}` } }, null, 2),
    );

    const install = await box.run(['plugins:install', `file:${helloTarball}`], {
      npm_config_offline: 'true',
    });
    expect(install.stderr).not.toMatch(/Error/);
    expect(install.code).toBe(0);
    expect(readdirSync(join(box.dataDir, 'node_modules'))).toEqual(
      expect.arrayContaining(['continuum-plugin-hello', '@continuum']),
    );

    const list = await box.run(['plugins', '--json']);
    expect(JSON.stringify(JSON.parse(list.stdout))).toContain('continuum-plugin-hello');

    const caps = await box.run(['capabilities']);
    expect(caps.stdout).toMatch(
      /application\s+hello\s+continuum-plugin-hello@0\.1\.0\s+1\s+user\s+ok\s+Says hello from every node/,
    );

    const config = box.write(
      'hello.yaml',
      [
        'infrastructure:',
        '  cloud: { nodes: 1, cores: 1, memory: 0.5, quota: 1 }',
        '  endpoint: { nodes: 1, cores: 1, memory: 0.25, quota: 0.5 }',
        `provider: { use: fake, options: { markerDir: ${box.markers} } }`,
        'application: { use: hello, options: { greeting: hi there } }',
        '',
      ].join('\n'),
    );
    const run = await box.run(['run', config]);
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /HELLO OUTPUT\n\s+node\s+hostname\s+uptime_s\s+duration_ms\s+status\n\s+cloud0\s+\S+\s+[\d.]+\s+\d+\s+succeeded\n\s*endpoint0\s/,
    );
    expect(box.markerFiles()).toEqual([]);

    // Its options are validated by its own schema, with the full path.
    const bad = await box.run([
      'validate',
      box.write(
        'bad.yaml',
        readFileSync(config, 'utf8').replace('greeting: hi there', 'greeting: "$(reboot)"'),
      ),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/application\.options\.greeting: expected 1-40 letters/);
  }, 120_000);
});
