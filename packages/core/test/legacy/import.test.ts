/**
 * `continuum config import`: YAML that parses back to exactly the converted config, with the notes
 * as comments; errors with exit code 2.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import ConfigImport from '../../src/commands/config/import.js';
import { loadLegacyConfig } from '../../src/legacy/index.js';
import { renderImportedYaml } from '../../src/legacy/yaml-output.js';
import { configSchema } from '../../src/engine/config-schema.js';
import { FIXTURES, fixtureFiles } from './helpers.js';

const CORE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'continuum-import-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('renderImportedYaml', () => {
  it('round-trips every accepted shipped file and carries the notes as comments', async () => {
    let checked = 0;
    for (const file of fixtureFiles()) {
      const loaded = await loadLegacyConfig(join(FIXTURES, file)).catch(() => undefined);
      if (!loaded) continue;
      const yaml = renderImportedYaml(loaded.config, loaded.notes, file);
      expect(parse(yaml), file).toEqual(loaded.config);
      expect(configSchema.safeParse(parse(yaml)).success, file).toBe(true);
      for (const n of loaded.notes) expect(yaml, `${file}: ${n.note}`).toContain(`# ${n.note}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('puts a note before the key it concerns', async () => {
    const loaded = await loadLegacyConfig(join(FIXTURES, 'tests/qemu/05_kuberentes-img.cfg'));
    const yaml = renderImportedYaml(loaded.config, loaded.notes, '05.cfg');
    expect(yaml).toMatch(/# upstream netperf = True[^\n]*\n\s+throughput: true/);
    expect(yaml).toMatch(/# docker_pull = True has no direct equivalent[^\n]*\napplication:/);
    expect(yaml.startsWith('# Converted from upstream Continuum config 05.cfg')).toBe(true);
  });
});

describe('continuum config import (command)', () => {
  let stdout: string[];
  let stderr: string[];
  beforeEach(() => {
    stdout = [];
    stderr = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    // oclif's ux writes through console.log / console.error.
    vi.spyOn(console, 'log').mockImplementation(
      (...args: unknown[]) => void stdout.push(`${args.map(String).join(' ')}\n`),
    );
    vi.spyOn(console, 'error').mockImplementation(
      (...args: unknown[]) => void stderr.push(`${args.map(String).join(' ')}\n`),
    );
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('writes the YAML with -o, warnings on stderr, and refuses to overwrite without --force', async () => {
    const out = join(work, 'bench_cloud.yaml');
    await ConfigImport.run([join(FIXTURES, 'bench_cloud.cfg'), '-o', out], CORE_ROOT);
    const written = readFileSync(out, 'utf8');
    expect(parse(written)).toEqual((await loadLegacyConfig(join(FIXTURES, 'bench_cloud.cfg'))).config);
    expect(stderr.join('')).toContain('warning: delete is not set');
    await expect(
      ConfigImport.run([join(FIXTURES, 'bench_cloud.cfg'), '-o', out], CORE_ROOT),
    ).rejects.toThrow();
    expect(stderr.join('')).toContain('already exists');
    await ConfigImport.run([join(FIXTURES, 'bench_cloud.cfg'), '-o', out, '--force'], CORE_ROOT);
  });

  it('prints the YAML on stdout, or the plan with --plan', async () => {
    await ConfigImport.run([join(FIXTURES, 'bench_edge.cfg')], CORE_ROOT);
    expect(parse(stdout.join(''))).toMatchObject({ resourceManager: { use: 'kubeedge' } });
    stdout.length = 0;
    await ConfigImport.run([join(FIXTURES, 'bench_edge.cfg'), '--plan'], CORE_ROOT);
    const plan = stdout.join('');
    expect(plan).toMatch(/cloud_controller\s+cloud-controller\s+cloud_controller_\S+\s+192\.168\.100\.2/);
    expect(plan).toMatch(/cloud\s+endpoint\s+45\s+5\s+7\.21/);
  });

  it('returns one JSON document with --json', async () => {
    const result = (await ConfigImport.run(
      [join(FIXTURES, 'qemu_kube_only.cfg'), '--json'],
      CORE_ROOT,
    )) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['config', 'warnings', 'notes', 'plan']);
    expect(JSON.parse(stdout.join(''))).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it('reports a rejected file with exit code 2, naming file, section and key', async () => {
    const file = join(FIXTURES, 'tests/aws/01_infraonly-cloud.cfg');
    await expect(ConfigImport.run([file], CORE_ROOT)).rejects.toThrow();
    expect(process.exitCode).toBe(2);
    const text = stderr.join('');
    expect(text).toContain(file);
    expect(text).toContain('[infrastructure] provider');
    expect(text).toContain('@continuum/provider-aws');
    expect(stdout.join('')).toBe('');
  });
});
