/**
 * Every shipped upstream .cfg file is either accepted (snapshot of the native config and the plan)
 * or rejected with a message that names the file, the section and the key.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isContinuumError } from '@continuum/plugin-api';
import {
  formatLegacyPlan,
  legacyPlan,
  loadLegacyConfig,
  loadLegacyConfigDetailed,
} from '../../src/legacy/index.js';
import { configSchema } from '../../src/engine/config-schema.js';
import { FIXTURES, fixtureFiles } from './helpers.js';
// The importer's output must also satisfy the option schemas of the plugins it selects (those that
// exist in this monorepo), or `continuum validate file.cfg` would fail after a clean import.
import { qemuOptionsSchema } from '../../../provider-qemu/src/config.js';
import { localOptionsSchema } from '../../../provider-local/src/options.js';
import { gcpOptionsSchema } from '../../../provider-gcp/src/options.js';
import { optionsSchema as imageClassificationOptions } from '../../../app-image-classification/src/options.js';
import { kubernetesOptionsSchema } from '../../../rm-kubernetes/src/config.js';

const PLUGIN_SCHEMAS: Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }> = {
  'provider/qemu': qemuOptionsSchema,
  'provider/local': localOptionsSchema,
  'provider/gcp': gcpOptionsSchema,
  'application/image-classification': imageClassificationOptions,
  'resourceManager/kubernetes': kubernetesOptionsSchema,
};

/** Check each selected capability's options against its plugin's schema, where we know the plugin. */
function expectPluginOptionsValid(config: Record<string, unknown>, label: string): number {
  let checked = 0;
  for (const kind of ['provider', 'resourceManager', 'application'] as const) {
    const sel = config[kind] as { use: string; options?: unknown } | undefined;
    const schema = sel && PLUGIN_SCHEMAS[`${kind}/${sel.use}`];
    if (!sel || !schema) continue;
    const parsed = schema.safeParse(sel.options ?? {});
    expect(parsed.success, `${label}: ${kind} ${sel.use}: ${JSON.stringify(parsed.error)}`).toBe(true);
    checked++;
  }
  return checked;
}

type Expectation = 'accept' | { section: string; key: string; mentions?: string[] };

const GCP_DETAILS = {
  section: 'infrastructure',
  key: 'gcp_project',
  mentions: ['gcp_region', 'gcp_zone', 'gcp_credentials'],
};

/** What upstream Continuum does with the file, and so what we must do. */
const EXPECTED: Record<string, Expectation> = {
  'baremetal.cfg': 'accept',
  'bench_cloud.cfg': 'accept',
  // Shipped with the GCP account fields emptied by upstream's pre-commit hook: upstream rejects them.
  'bench_cloud_terraform.cfg': GCP_DETAILS,
  'bench_edge.cfg': 'accept',
  'bench_endpoint.cfg': 'accept',
  'bench_openfaas.cfg': 'accept',
  'experiment_endpoint_scaling/cloud_endpoint1.cfg': 'accept',
  'experiment_endpoint_scaling/cloud_endpoint2.cfg': 'accept',
  'experiment_endpoint_scaling/cloud_endpoint4.cfg': 'accept',
  'experiment_endpoint_scaling/cloud_endpoint8.cfg': 'accept',
  'experiment_endpoint_scaling/edge_endpoint1.cfg': 'accept',
  'experiment_endpoint_scaling/edge_endpoint2.cfg': 'accept',
  'experiment_endpoint_scaling/edge_endpoint4.cfg': 'accept',
  'experiment_endpoint_scaling/edge_endpoint8.cfg': 'accept',
  'experiment_endpoint_scaling/endpoint1.cfg': 'accept',
  'experiment_provider/gcp_cloud.cfg': GCP_DETAILS,
  'experiment_provider/gcp_edge.cfg': GCP_DETAILS,
  'experiment_provider/gcp_endpoint.cfg': GCP_DETAILS,
  'experiment_provider/gcp_mist.cfg': GCP_DETAILS,
  'experiment_provider/qemu_cloud.cfg': 'accept',
  'experiment_provider/qemu_edge.cfg': 'accept',
  'experiment_provider/qemu_endpoint.cfg': 'accept',
  'experiment_provider/qemu_mist.cfg': 'accept',
  'infra_only.cfg': 'accept',
  'qemu_kube_only.cfg': 'accept',
  // Documentation with inline comments; upstream says itself that it does not parse.
  'template.cfg': { section: 'infrastructure', key: 'provider', mentions: ['inline comment', 'line 11'] },
  'tests/aws/01_infraonly-cloud.cfg': {
    section: 'infrastructure',
    key: 'provider',
    mentions: ['aws', '@continuum/provider-aws'],
  },
  'tests/gcp/01_infraonly-cloud.cfg': GCP_DETAILS,
  'tests/gcp/02_infraonly-edge.cfg': GCP_DETAILS,
  'tests/gcp/03_infraonly-endpoint.cfg': GCP_DETAILS,
  'tests/gcp/04_infraonly-all.cfg': GCP_DETAILS,
  'tests/gcp/05_kuberentes-img.cfg': GCP_DETAILS,
  'tests/gcp/06_kubeedge-img.cfg': GCP_DETAILS,
  'tests/gcp/07_mist-img.cfg': GCP_DETAILS,
  'tests/gcp/08_endpoint_img.cfg': GCP_DETAILS,
  'tests/gcp/09_kubernetes-nobench.cfg': GCP_DETAILS,
  'tests/gcp/10_kubernetes-openfaas.cfg': GCP_DETAILS,
  'tests/qemu/01_infraonly-cloud.cfg': 'accept',
  'tests/qemu/02_infraonly-edge.cfg': 'accept',
  'tests/qemu/03_infraonly-endpoint.cfg': 'accept',
  'tests/qemu/04_infraonly-all.cfg': 'accept',
  'tests/qemu/05_kuberentes-img.cfg': 'accept',
  'tests/qemu/06_kubeedge-img.cfg': 'accept',
  'tests/qemu/07_mist-img.cfg': 'accept',
  'tests/qemu/08_endpoint_img.cfg': 'accept',
  'tests/qemu/09_kubernetes-nobench.cfg': 'accept',
  'tests/qemu/10_kubernetes-openfaas.cfg': 'accept',
};

describe('shipped upstream .cfg files', () => {
  const files = fixtureFiles();

  it('every fixture has an expectation (and every expectation a fixture)', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const file of files) {
    const expected = EXPECTED[file];
    if (expected === 'accept') {
      it(`accepts and plans ${file}`, async () => {
        const loaded = await loadLegacyConfigDetailed(join(FIXTURES, file));
        // The core validates the result with its own schema next; it must pass.
        const parsed = configSchema.safeParse(loaded.config);
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
        expect(expectPluginOptionsValid(loaded.config, file)).toBeGreaterThan(0);
        const plan = legacyPlan(loaded.config, loaded.upstream, { user: 'user' });
        expect(plan.nodes.length).toBeGreaterThan(0);
        expect({
          config: loaded.config,
          warnings: loaded.warnings,
          notes: loaded.notes,
          plan,
        }).toMatchSnapshot();
        expect(formatLegacyPlan(plan)).toMatchSnapshot();
        // The core only has the native config: the plan it can draw from that alone has the same nodes and IPs.
        const fromNative = legacyPlan(loaded.config, undefined, { user: 'user' });
        expect(fromNative.nodes).toEqual(plan.nodes);
        expect(fromNative.links).toEqual(plan.links);
      });
    } else if (expected !== undefined) {
      it(`rejects ${file} naming [${expected.section}] ${expected.key}`, async () => {
        const path = join(FIXTURES, file);
        const err = await loadLegacyConfig(path).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isContinuumError(err), String(err)).toBe(true);
        if (!isContinuumError(err)) return;
        expect(err.code).toBe('LEGACY_CONFIG');
        expect(err.message).toContain(path);
        expect(err.message).toContain(`[${expected.section}]`);
        expect(err.message).toContain(expected.key);
        for (const m of expected.mentions ?? []) expect(`${err.message}\n${err.hint ?? ''}`).toContain(m);
        expect(err.hint).toBeTruthy();
        expect({ message: err.message.replace(FIXTURES, '<fixtures>/'), hint: err.hint }).toMatchSnapshot();
      });
    }
  }

  it('accepts the GCP files once the account fields are filled in, with valid gcp options', async () => {
    const { readFile } = await import('node:fs/promises');
    const { convertLegacyText } = await import('../../src/legacy/index.js');
    const gcpFiles = files.filter((f) => f.includes('gcp') || f === 'bench_cloud_terraform.cfg');
    expect(gcpFiles.length).toBeGreaterThan(10);
    for (const f of gcpFiles) {
      const text = (await readFile(join(FIXTURES, f), 'utf8'))
        .replace(/^gcp_region =.*$/m, 'gcp_region = "europe-west4"')
        .replace(/^gcp_zone =.*$/m, 'gcp_zone = "europe-west4-a"')
        .replace(/^gcp_project =.*$/m, 'gcp_project = "continuum-123456"')
        .replace(/^gcp_credentials =.*$/m, 'gcp_credentials = "~/.ssh/continuum-123456.json"');
      const loaded = convertLegacyText(text, f);
      expect(configSchema.safeParse(loaded.config).success, f).toBe(true);
      expect(expectPluginOptionsValid(loaded.config, f)).toBeGreaterThan(0);
      expect(loaded.config['provider']).toMatchObject({
        use: 'gcp',
        options: { project: 'continuum-123456', zone: 'europe-west4-a' },
      });
    }
  });
});
