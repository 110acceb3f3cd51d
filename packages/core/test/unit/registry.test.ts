// vitest asymmetric matchers (expect.objectContaining …) are typed `any`.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry, type PluginLike } from '../../src/engine/registry.js';
import { tempDir } from '../helpers/tmp.js';

const apiUrl = new URL('../../../plugin-api/dist/index.js', import.meta.url).href;

function plugin(
  name: string,
  type: string,
  continuum: unknown,
  files: Record<string, string> = {},
  version = '1.0.0',
): PluginLike {
  const root = tempDir(`continuum-reg-${name.replace(/\W/g, '')}-`);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return { name, version, type, root, pjson: { name, version, continuum } };
}

const cap = (kind: string, name: string, entry = './index.js') => ({ kind, name, entry });
const defineModule = (fn: string, name: string) =>
  `import { ${fn} } from '${apiUrl}';\nexport default ${fn}({ name: '${name}', async teardown() {}, async provision() { return {}; }, async attach() { return []; }, async benchmark() { return { status: 'ok', tables: [], summary: {} }; } });\n`;

describe('registry', () => {
  it('lists capabilities from package.json only, in kind order, ignoring plain oclif plugins', () => {
    const r = new Registry([
      plugin('@oclif/plugin-help', 'core', undefined),
      plugin('app-pkg', 'user', { apiVersion: 1, capabilities: [cap('application', 'hello')] }),
      plugin('prov-pkg', 'core', {
        apiVersion: 1,
        capabilities: [cap('provider', 'local'), cap('operating-service', 'mqtt')],
      }),
    ]);
    expect(r.entries.map((e) => `${e.kind}/${e.name}@${e.pluginName}`)).toEqual([
      'provider/local@prov-pkg',
      'operating-service/mqtt@prov-pkg',
      'application/hello@app-pkg',
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('resolves duplicates link > user > core, with a warning', () => {
    const r = new Registry([
      plugin('core-pkg', 'core', { apiVersion: 1, capabilities: [cap('provider', 'qemu')] }),
      plugin('linked-pkg', 'link', { apiVersion: 1, capabilities: [cap('provider', 'qemu')] }),
      plugin('user-pkg', 'user', { apiVersion: 1, capabilities: [cap('provider', 'qemu')] }),
    ]);
    expect(r.resolve('provider', 'qemu').pluginName).toBe('linked-pkg');
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/provided by linked-pkg@1.0.0 \(link\) and .*using linked-pkg/);
  });

  it('names the npm package to install for an unknown capability', () => {
    const r = new Registry([
      plugin('x', 'core', { apiVersion: 1, capabilities: [cap('resource-manager', 'kubernetes')] }),
    ]);
    expect(() => r.resolve('resource-manager', 'kubeedge')).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_CAPABILITY',
        hint: expect.stringContaining('continuum plugins:install @continuum/rm-kubeedge'),
      }),
    );
    for (const [kind, pkg] of [
      ['provider', '@continuum/provider-gcp'],
      ['operating-service', '@continuum/os-gcp'],
      ['application', '@continuum/app-gcp'],
      ['monitor', '@continuum/monitor-gcp'],
    ] as const) {
      expect(() => r.resolve(kind, 'gcp')).toThrow(
        expect.objectContaining({ hint: expect.stringContaining(pkg) }),
      );
    }
  });

  it('rejects a plugin with an unsupported apiVersion, naming plugin@version and the expected version, without importing it', () => {
    const p = plugin(
      'future-pkg',
      'user',
      { apiVersion: 2, capabilities: [cap('application', 'x')] },
      { 'index.js': 'throw new Error("imported!")' },
      '3.0.0',
    );
    const r = new Registry([p]);
    expect(r.entries[0]?.rejected).toMatch(/future-pkg@3\.0\.0.*version 2.*apiVersion 1/);
    expect(() => r.resolve('application', 'x')).toThrow(
      expect.objectContaining({ code: 'PLUGIN_API_VERSION' }),
    );
  });

  it('imports only on load, once, and checks brand, kind and name against package.json', async () => {
    const good = plugin(
      'good',
      'user',
      { apiVersion: 1, capabilities: [cap('application', 'hello')] },
      { 'index.js': defineModule('defineApplication', 'hello') },
    );
    const mismatch = plugin(
      'mismatch',
      'user',
      { apiVersion: 1, capabilities: [cap('provider', 'declared')] },
      { 'index.js': defineModule('defineProvider', 'actual') },
    );
    const notBranded = plugin(
      'plain',
      'user',
      { apiVersion: 1, capabilities: [cap('monitor', 'm')] },
      { 'index.js': 'export default { kind: "monitor", name: "m" };' },
    );
    const broken = plugin(
      'broken',
      'user',
      { apiVersion: 1, capabilities: [cap('monitor', 'b')] },
      { 'index.js': 'export default ;' },
    );
    const r = new Registry([good, mismatch, notBranded, broken]);
    const hello = await r.load(r.resolve('application', 'hello'));
    expect(hello).toMatchObject({ kind: 'application', name: 'hello', apiVersion: 1 });
    expect(await r.load(r.resolve('application', 'hello'))).toBe(hello);
    await expect(r.load(r.resolve('provider', 'declared'))).rejects.toMatchObject({
      code: 'PLUGIN_ENTRY_INVALID',
      message: expect.stringContaining(
        'exports provider "actual" but package.json declares provider "declared"',
      ),
    });
    await expect(r.load(r.resolve('monitor', 'm'))).rejects.toMatchObject({
      code: 'PLUGIN_ENTRY_INVALID',
      message: expect.stringContaining('defineMonitor()'),
    });
    await expect(r.load(r.resolve('monitor', 'b'))).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      message: expect.stringContaining('broken@1.0.0'),
    });
  });

  it('warns about malformed declarations instead of crashing', () => {
    const r = new Registry([
      plugin('weird', 'user', {
        apiVersion: 1,
        capabilities: [{ kind: 'database', name: 'x', entry: './i.js' }],
      }),
      plugin('weirder', 'user', { apiVersion: 1, capabilities: 'all' }),
    ]);
    expect(r.entries).toEqual([]);
    expect(r.warnings).toHaveLength(2);
  });
});
