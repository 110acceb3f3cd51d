/**
 * Upstream Continuum's configuration semantics (continuum-upstream.md §2), one rule per test.
 */
import { describe, expect, it } from 'vitest';
import { isContinuumError } from '@continuum/plugin-api';
import {
  convertLegacyText,
  legacyPlan,
  loadLegacyConfig,
  parseIni,
  upstreamIpPlan,
} from '../../src/legacy/index.js';
import { configSchema } from '../../src/engine/config-schema.js';

const CLOUD = `
[infrastructure]
provider = qemu
cloud_nodes = 2
cloud_cores = 4
cloud_memory = 4
cloud_quota = 1.0
endpoint_nodes = 1
endpoint_cores = 1
endpoint_memory = 1
endpoint_quota = 0.5
network_emulation = True
`;
const KUBE_BENCH = `
[benchmark]
resource_manager = kubernetes
application = image_classification
frequency = 5
`;

const load = (text: string) => convertLegacyText(text, 'test.cfg');
const obj = (v: unknown) => v as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function rejection(text: string): { message: string; hint: string } {
  try {
    load(text);
  } catch (err) {
    if (isContinuumError(err)) {
      expect(err.code).toBe('LEGACY_CONFIG');
      expect(err.message).toContain('test.cfg');
      return { message: err.message, hint: err.hint ?? '' };
    }
    throw err;
  }
  throw new Error('expected the file to be rejected');
}

describe('INI dialect (configparser)', () => {
  it('reads keys case-insensitively, with = or :, full-line # and ; comments', () => {
    const r = load(
      `[INFRASTRUCTURE]\nProvider: qemu\n; comment\n# another\nENDPOINT_NODES = 1\nEndpoint_Cores=1\nendpoint_memory : 1\nendpoint_quota = 0.5\nPrefixIP = 10.20\n${KUBE_BENCH.replace('kubernetes', 'none')}`,
    );
    const infra = obj(r.config['infrastructure']);
    expect(infra['endpoint']).toEqual({ nodes: 1, cores: 1, memory: 1, quota: 0.5 });
    expect(obj(r.config['provider'])['options']['prefixIP']).toBe('10.20');
  });

  it('treats "key =" as unset: default if optional, error if mandatory', () => {
    const ok = load(
      `${CLOUD}\n[benchmark]\nresource_manager = kubernetes\napplication = image_classification\nfrequency = 5\nduration =\n`,
    );
    expect(obj(ok.config['application'])['options']['duration']).toBe(300);
    const { message } = rejection(
      `${CLOUD}\n[benchmark]\nresource_manager = kubernetes\napplication = image_classification\nfrequency =\n`,
    );
    expect(message).toContain('[benchmark] frequency');
    expect(message).toContain('missing');
  });

  it('parses booleans like getboolean: True/False/yes/no/on/off/1/0, any case', () => {
    for (const [word, value] of [
      ['True', true],
      ['yes', true],
      ['ON', true],
      ['1', true],
      ['False', false],
      ['no', false],
      ['off', false],
      ['0', false],
    ] as const) {
      const r = load(`${CLOUD}cpu_pin = ${word}\n${KUBE_BENCH}`);
      expect(obj(r.config['provider'])['options']['cpuPin'], word).toBe(value);
    }
    expect(rejection(`${CLOUD}cpu_pin = maybe\n${KUBE_BENCH}`).message).toContain(
      '[infrastructure] cpu_pin (line 13) has value "maybe", expected True or False',
    );
  });

  it('rejects inline comments with a hint (configparser keeps them in the value)', () => {
    const { message, hint } = rejection(
      `${CLOUD.replace('cloud_nodes = 2', 'cloud_nodes = 2   # two VMs')}${KUBE_BENCH}`,
    );
    expect(message).toContain('[infrastructure] cloud_nodes');
    expect(hint).toContain('Inline comments');
  });

  it('rejects duplicate keys and sections, naming the lines', () => {
    expect(rejection(`${CLOUD}cloud_nodes = 3\n${KUBE_BENCH}`).message).toMatch(
      /cloud_nodes appears twice in \[infrastructure\] \(line 4 and line 13\)/,
    );
    expect(rejection(`${CLOUD}${KUBE_BENCH}[infrastructure]\n`).message).toContain(
      'section [infrastructure] appears twice',
    );
    expect(rejection(`provider = qemu\n${CLOUD}`).message).toContain('before any [section]');
    expect(rejection(`${CLOUD}just some words\n`).message).toContain('neither "key = value"');
  });

  it('joins indented continuation lines and inherits [DEFAULT]', () => {
    const doc = parseIni('[DEFAULT]\nx = 1\n[a]\nkey = first\n  second\n\n  third\nother = 2\n');
    expect(doc.sections.get('a')?.entries.get('key')?.value).toBe('first\nsecond\n\nthird');
    const r = load(
      `[DEFAULT]\nendpoint_quota = 0.5\n[infrastructure]\nprovider = qemu\nendpoint_nodes = 1\nendpoint_cores = 1\nendpoint_memory = 1\n[benchmark]\nresource_manager = none\napplication = image_classification\nfrequency = 2\n`,
    );
    expect(obj(r.config['infrastructure'])['endpoint']['quota']).toBe(0.5);
  });

  it('interpolates %(key)s and %% like BasicInterpolation, and rejects a lone %', () => {
    const r = load(`${CLOUD}base_path = /data/%(provider)s/100%%\n${KUBE_BENCH}`);
    expect(r.notes.find((n) => n.note.startsWith('base_path'))?.note).toContain(
      'base_path = /data/qemu/100% has no equivalent',
    );
    expect(rejection(`${CLOUD}base_path = /data/100%\n${KUBE_BENCH}`).hint).toContain('%%');
  });
});

describe('defaults, mandatory keys and mode', () => {
  it('applies upstream defaults', () => {
    const r = load(`${CLOUD}${KUBE_BENCH}`);
    expect(r.config['run']).toEqual({ keep: true }); // delete defaults to False: VMs are kept
    expect(r.warnings.some((w) => w.includes('delete is not set'))).toBe(true);
    expect(obj(r.config['provider'])['options']).toEqual({
      prefixIP: '192.168',
      middleIP: 100,
      cpuPin: false,
    });
    // worker defaults: cloud_cores - 0.5 and cloud_memory - 0.5; endpoint defaults: endpoint cores / memory
    expect(obj(r.config['application'])['options']).toEqual({
      frequency: 5,
      duration: 300,
      workerCpu: 3.5,
      workerMemory: 3.5,
      endpointCpu: 1,
      endpointMemory: 1,
      perWorker: 1,
    });
    expect(obj(r.config['infrastructure'])['network']).toEqual({
      emulation: true,
      preset: '4g',
      throughput: false,
    });
    expect(r.config['services']).toEqual([{ use: 'mqtt' }]);
    expect(configSchema.safeParse(r.config).success).toBe(true);
  });

  it('requires cores/memory/quota only for tiers that have nodes', () => {
    const { message } = rejection(`${CLOUD.replace('cloud_memory = 4\n', '')}${KUBE_BENCH}`);
    expect(message).toContain('[infrastructure] cloud_memory is missing (mandatory because cloud_nodes = 2)');
    const r = load(
      `[infrastructure]\nprovider = qemu\nedge_nodes = 0\nendpoint_nodes = 1\nendpoint_cores = 1\nendpoint_memory = 1\nendpoint_quota = 0.5\n[benchmark]\nresource_manager = none\napplication = image_classification\nfrequency = 1\n`,
    );
    expect(obj(r.config['infrastructure'])['edge']).toEqual({ nodes: 0 });
  });

  it('reports every problem at once, in file order', () => {
    const { message } = rejection(
      `[infrastructure]\nprovider = qemu\ncloud_nodes = two\nendpoint_nodes = 1\nendpoint_cores = 0\nendpoint_memory = 1\nendpoint_quota = 2\n`,
    );
    expect(message).toContain('4 problems');
    expect(message).toContain('[benchmark] section is missing');
    expect(message.indexOf('cloud_nodes')).toBeLessThan(message.indexOf('endpoint_cores'));
    expect(message).toContain('endpoint_quota (line 7) = 2 is invalid: must be between 0.1 and 1.0');
  });

  it('derives the mode from node counts and splits controller and workers', () => {
    const edge = load(
      `[infrastructure]\nprovider = qemu\ncloud_nodes = 1\ncloud_cores = 2\ncloud_memory = 2\ncloud_quota = 1\nedge_nodes = 2\nedge_cores = 2\nedge_memory = 2\nedge_quota = 1\nendpoint_nodes = 2\nendpoint_cores = 1\nendpoint_memory = 1\nendpoint_quota = 1\n[benchmark]\nresource_manager = kubeedge\napplication = image_classification\nfrequency = 5\n`,
    );
    const plan = legacyPlan(edge.config, edge.upstream);
    expect(plan.mode).toBe('edge');
    expect(plan.nodes.map((n) => `${n.name}:${n.role}:${n.ip ?? ''}`)).toEqual([
      'cloud_controller:cloud-controller:192.168.100.2',
      'edge0:edge:192.168.100.3',
      'edge1:edge:192.168.100.4',
      'endpoint0:endpoint:192.168.100.5',
      'endpoint1:endpoint:192.168.100.6',
    ]);
    // worker defaults follow the edge tier in edge mode
    expect(obj(edge.config['application'])['options']['workerCpu']).toBe(1.5);

    const cloud = load(`${CLOUD}${KUBE_BENCH}`);
    expect(legacyPlan(cloud.config, cloud.upstream).nodes.map((n) => n.name)).toEqual([
      'cloud_controller',
      'cloud0',
      'endpoint0',
    ]);
    const infraOnly = load(`${CLOUD}infra_only = True\n`);
    // No resource manager, so no controller: upstream names every cloud VM cloudN in infra-only runs.
    expect(legacyPlan(infraOnly.config, infraOnly.upstream).nodes.map((n) => n.name)).toEqual([
      'cloud0',
      'cloud1',
      'endpoint0',
    ]);
  });
});

describe('network emulation', () => {
  it('uses the 4g/5g presets and wired defaults', () => {
    const g4 = load(`${CLOUD}${KUBE_BENCH}`);
    const g5 = load(`${CLOUD}wireless_network_preset = 5g\n${KUBE_BENCH}`);
    const rate = (r: ReturnType<typeof load>) =>
      legacyPlan(r.config, r.upstream).links.find((l) => l.from === 'cloud' && l.to === 'endpoint');
    expect(rate(g4)).toMatchObject({ latencyMs: 45, jitterMs: 5, rateMbit: 7.21 });
    expect(rate(g5)).toMatchObject({ latencyMs: 45, jitterMs: 5, rateMbit: 29.66 });
    expect(rejection(`${CLOUD}wireless_network_preset = 3g\n${KUBE_BENCH}`).message).toContain(
      'wireless_network_preset must be one of 4g, 5g',
    );
  });

  it('treats -1 (or no value) as "use the built-in value" and applies other overrides', () => {
    const r = load(
      `${CLOUD}cloud_endpoint_latency_avg = 30\ncloud_endpoint_latency_var = -1\ncloud_endpoint_throughput = -1\ncloud_throughput =\n${KUBE_BENCH}`,
    );
    expect(obj(r.config['infrastructure'])['network']['links']).toEqual({
      'cloud-endpoint': { latency: 30 },
    });
    expect(
      legacyPlan(r.config, r.upstream).links.find((l) => l.from === 'endpoint' && l.to === 'cloud'),
    ).toMatchObject({ latencyMs: 30, jitterMs: 5, rateMbit: 7.21 });
    expect(rejection(`${CLOUD}cloud_throughput = 0.5\n${KUBE_BENCH}`).message).toContain('must be >= 1');
    expect(rejection(`${CLOUD}edge_latency_avg = -3\n${KUBE_BENCH}`).message).toContain('must be >= 0');
  });

  it('ignores (even invalid) network keys when network_emulation is False, like upstream', () => {
    const r = load(
      `${CLOUD.replace('network_emulation = True', 'network_emulation = False')}cloud_latency_avg = banana\n${KUBE_BENCH}`,
    );
    expect(obj(r.config['infrastructure'])['network']).toEqual({ emulation: false, throughput: false });
    expect(
      r.notes.some((n) => n.path === 'infrastructure.network' && n.note.includes('cloud_latency_avg')),
    ).toBe(true);
  });

  it('maps netperf onto the throughput test', () => {
    const r = load(`${CLOUD}netperf = yes\n${KUBE_BENCH}`);
    expect(obj(r.config['infrastructure'])['network']['throughput']).toBe(true);
  });
});

describe('providers', () => {
  const gcp = (extra: string) =>
    `[infrastructure]\nprovider = gcp\ncloud_nodes = 2\ncloud_cores = 4\ncloud_memory = 16\ncloud_quota = 1.0\nendpoint_nodes = 1\nendpoint_cores = 2\nendpoint_memory = 4\nendpoint_quota = 0.5\n${extra}\n${KUBE_BENCH}`;

  it('strips the quotes upstream needed for Terraform', () => {
    const r = load(
      gcp(
        `gcp_cloud = "e2-standard-4"\ngcp_endpoint = 'e2-medium'\ngcp_region = "europe-west4"\ngcp_zone = europe-west4-a\ngcp_project = "continuum-123456"\ngcp_credentials = "~/.ssh/key.json"`,
      ),
    );
    expect(r.config['provider']).toEqual({
      use: 'gcp',
      options: {
        project: 'continuum-123456',
        region: 'europe-west4',
        zone: 'europe-west4-a',
        credentials: '~/.ssh/key.json',
        machineTypes: { cloud: 'e2-standard-4', endpoint: 'e2-medium' },
      },
    });
    expect(configSchema.safeParse(r.config).success).toBe(true);
  });

  it('requires the machine type of every tier with nodes, and the account details', () => {
    const { message, hint } = rejection(
      gcp(
        `gcp_cloud = "e2-standard-4"\ngcp_region = ""\ngcp_zone = "z"\ngcp_project = "p"\ngcp_credentials = "c"`,
      ),
    );
    expect(message).toContain(
      '[infrastructure] gcp_endpoint is missing or empty (mandatory because endpoint_nodes = 1)',
    );
    expect(message).toContain('[infrastructure] gcp_region (line');
    expect(hint).toContain('gcp_region = "europe-west4"');
  });

  it('rejects external machines on gcp, and aws with the plugin to install', () => {
    expect(
      rejection(
        gcp(
          `gcp_cloud = "a"\ngcp_endpoint = "b"\ngcp_region = "r"\ngcp_zone = "z"\ngcp_project = "p"\ngcp_credentials = "c"\nexternal_physical_machines = u@h`,
        ),
      ).message,
    ).toContain('external_physical_machines');
    const aws = rejection(
      `[infrastructure]\nprovider = aws\ncloud_nodes = 1\ncloud_cores = 1\ncloud_memory = 1\ncloud_quota = 1\ninfra_only = True\n`,
    );
    expect(aws.message).toContain('[infrastructure] provider');
    expect(aws.hint).toContain('@continuum/provider-aws');
  });

  it("maps baremetal onto the local provider with the intended rule, warning about upstream's bug", () => {
    const ok = load(
      `[infrastructure]\nprovider = baremetal\ncloud_nodes = 1\ncloud_cores = 2\ncloud_memory = 2\ncloud_quota = 1\nendpoint_nodes = 2\nendpoint_cores = 1\nendpoint_memory = 1\nendpoint_quota = 0.5\n[benchmark]\nresource_manager = none\napplication = image_classification\nfrequency = 5\n`,
    );
    expect(ok.config['provider']).toEqual({ use: 'local' });
    expect(ok.warnings.join('\n')).toContain('rejected every baremetal config');
    expect(
      rejection(
        `[infrastructure]\nprovider = baremetal\ncloud_nodes = 2\ncloud_cores = 2\ncloud_memory = 2\ncloud_quota = 1\nendpoint_nodes = 1\nendpoint_cores = 1\nendpoint_memory = 1\nendpoint_quota = 0.5\n[benchmark]\nresource_manager = none\napplication = image_classification\nfrequency = 5\n`,
      ).message,
    ).toContain('needs exactly 1 cloud node');
  });

  it('keeps prefixIP and middleIP, notes base_path and middleIP_base, maps external machines onto br0', () => {
    const r = load(
      `${CLOUD}base_path = ~/vms/\nprefixIP = 10.1\nmiddleIP = 5\nmiddleIP_base = 6\nexternal_physical_machines = a@h1, b@h2,\n${KUBE_BENCH}`,
    );
    expect(obj(r.config['provider'])['options']).toEqual({
      prefixIP: '10.1',
      middleIP: 5,
      cpuPin: false,
      existingBridge: 'br0',
      externalHosts: [
        { uri: 'qemu+ssh://a@h1/system', address: 'h1', existingBridge: 'br0' },
        { uri: 'qemu+ssh://b@h2/system', address: 'h2', existingBridge: 'br0' },
      ],
    });
    expect(r.warnings.join('\n')).toContain('existing bridge br0');
    const noted = r.notes.map((n) => n.note).join('\n');
    expect(noted).toContain('middleIP_base = 6 has no equivalent');
    expect(noted).toContain('base_path = ~/vms/ has no equivalent');
    // The upstream address plan still uses them.
    const plan = legacyPlan(r.config, r.upstream);
    expect(plan.nodes[0]?.ip).toBe('10.1.5.2');
    expect(plan.baseImages[0]?.ip).toBe('10.1.6.2');
    expect(rejection(`${CLOUD}external_physical_machines = a@b@c\n${KUBE_BENCH}`).message).toContain(
      'is not user@host',
    );
    expect(rejection(`${CLOUD}middleIP = 90\n${KUBE_BENCH}`).message).toContain('must differ from middleIP');
    expect(rejection(`${CLOUD}prefixIP = 192.168.1\n${KUBE_BENCH}`).message).toContain('prefixIP');
    expect(rejection(`${CLOUD}middleIP = 255\n${KUBE_BENCH}`).message).toContain('between 1 and 254');
  });
});

describe('resource managers, applications, node-count rules', () => {
  it('spells out the node-count rule that failed', () => {
    const { message } = rejection(
      `${CLOUD}[benchmark]\nresource_manager = kubeedge\napplication = image_classification\nfrequency = 5\n`,
    );
    expect(message).toContain(
      '[benchmark] resource_manager (line 14) = kubeedge needs exactly 1 cloud node (the controller) and >= 1 edge node, with endpoint_nodes a multiple of edge_nodes; this file has cloud_nodes = 2, edge_nodes = 0, endpoint_nodes = 1',
    );
    const kube = rejection(`${CLOUD.replace('cloud_nodes = 2', 'cloud_nodes = 3')}${KUBE_BENCH}`);
    expect(kube.message).toContain('multiple of the cloud workers');
    const mist = rejection(
      `${CLOUD}[benchmark]\nresource_manager = mist\napplication = image_classification\nfrequency = 5\n`,
    );
    expect(mist.message).toContain('needs 0 cloud nodes');
  });

  it('maps mist to docker, none to no resource manager, openfaas to the openfaas plugin', () => {
    const mist = load(
      `[infrastructure]\nprovider = qemu\nedge_nodes = 1\nedge_cores = 2\nedge_memory = 2\nedge_quota = 1\nendpoint_nodes = 2\nendpoint_cores = 1\nendpoint_memory = 1\nendpoint_quota = 1\n[benchmark]\nresource_manager = mist\napplication = image_classification\nfrequency = 5\n`,
    );
    expect(mist.config['resourceManager']).toEqual({ use: 'docker' });
    expect(legacyPlan(mist.config, mist.upstream).nodes.map((n) => n.name)).toEqual([
      'edge0',
      'endpoint0',
      'endpoint1',
    ]);
    // mist workers ran with docker --cpus=%i: the default 1.5 CPUs became 1
    expect(mist.warnings.join('\n')).toContain(
      'application_worker_cpu = 1.5 CPUs: upstream passed docker --cpus=1',
    );

    const faas = load(`${CLOUD}${KUBE_BENCH}[execution_model]\nmodel = openfaas\n`);
    expect(faas.config['resourceManager']).toEqual({ use: 'openfaas' });
    expect(rejection(`${CLOUD}${KUBE_BENCH}[execution_model]\nmodel = knative\n`).message).toContain(
      '[execution_model] model',
    );
  });

  it('keeps fractional endpoint CPUs and warns that upstream truncated them', () => {
    const r = load(`${CLOUD}${KUBE_BENCH}application_endpoint_cpu = 0.5\n`);
    expect(obj(r.config['application'])['options']['endpointCpu']).toBe(0.5);
    expect(r.warnings.join('\n')).toContain(
      'application_endpoint_cpu = 0.5 CPUs: upstream passed docker --cpus=0 (0 = unlimited)',
    );
  });

  it('keeps disk speeds as MB/s and warns that upstream applied bytes/s', () => {
    const r = load(`${CLOUD}cloud_read_speed = 100\ncloud_write_speed = 50\n${KUBE_BENCH}`);
    expect(obj(r.config['infrastructure'])['cloud']).toMatchObject({ readSpeed: 100, writeSpeed: 50 });
    expect(r.warnings.join('\n')).toContain('bytes/s');
    const plan = legacyPlan(r.config, r.upstream);
    expect(plan.nodes[0]).toMatchObject({ readSpeedMBps: 100, writeSpeedMBps: 50 });
  });

  it('handles infra_only and resource_manager_only', () => {
    const infra = load(`${CLOUD}infra_only = True\n${KUBE_BENCH}`);
    expect(Object.keys(infra.config)).toEqual(['infrastructure', 'provider', 'run']);
    expect(infra.notes.some((n) => n.note.includes('[benchmark] ignored'))).toBe(true);
    const rmOnly = load(
      `${CLOUD}[benchmark]\nresource_manager = kubernetes\nresource_manager_only = True\nobservability = True\n`,
    );
    expect(rmOnly.config['application']).toBeUndefined();
    expect(rmOnly.config['services']).toBeUndefined();
    expect(rmOnly.config['monitors']).toEqual([{ use: 'prometheus' }]);
    expect(
      rejection(
        `${CLOUD}[benchmark]\nresource_manager = kubernetes\nresource_manager_only = True\napplication = image_classification\n`,
      ).message,
    ).toContain('must not be set when resource_manager_only = True');
    expect(rejection(`${CLOUD}[benchmark]\nresource_manager = kubernetes\n`).message).toContain(
      'application is missing',
    );
    expect(rejection(CLOUD).message).toContain('[benchmark] section is missing');
  });

  it("maps empty / kubecontrol / kube_kata, with upstream's intended checks", () => {
    const ctl = load(
      `${CLOUD}[benchmark]\nresource_manager = kubecontrol\napplication = empty\nsleep_time = 30\nkube_deployment = file\nkube_version = v1.25.0\n`,
    );
    expect(ctl.config['resourceManager']).toEqual({
      use: 'kubernetes',
      options: { kubernetesVersion: 'v1.25.0' },
    });
    // kube_deployment is how the deployment benchmark (the application) submits its instances
    expect(ctl.config['application']).toEqual({
      use: 'empty',
      options: { sleepTime: 30, perWorker: 1, deployment: 'file' },
    });
    expect(
      rejection(
        `${CLOUD}[benchmark]\nresource_manager = kubecontrol\napplication = empty\nsleep_time = 30\nkube_version = v1.99\n`,
      ).message,
    ).toContain('kube_version');
    expect(
      rejection(`${CLOUD}[benchmark]\nresource_manager = kubernetes\napplication = empty\nsleep_time = 30\n`)
        .message,
    ).toContain('= empty needs resource_manager = kubecontrol');
    expect(
      rejection(
        `${CLOUD}[benchmark]\nresource_manager = kube_kata\napplication = empty_kata\nsleep_time = 3\nruntime = kata-fc\nruntime_filesystem = overlayfs\n`,
      ).message,
    ).toContain('overlayfs cannot be used with runtime = kata-fc');
    // Kata runtimes have no plugin yet: a clear rejection instead of a half-working run.
    const kata = rejection(
      `${CLOUD}[benchmark]\nresource_manager = kube_kata\napplication = stress\nstress_app_timeout = 10\nruntime = kata-qemu\n`,
    );
    expect(kata.message).toContain('[benchmark] resource_manager (line 14) = kube_kata');
    expect(kata.message).toContain('not supported yet');
    expect(kata.hint).toContain('kubecontrol');
    // mem_usage / stress work with kubecontrol (upstream's own check allowed only that one)
    const stress = load(
      `${CLOUD}[benchmark]\nresource_manager = kubecontrol\napplication = stress\nstress_app_timeout = 10\n`,
    );
    expect(stress.config['application']).toEqual({
      use: 'stress',
      options: { timeout: 10, perWorker: 1, deployment: 'pod' },
    });
    expect(
      rejection(`${CLOUD}[benchmark]\nresource_manager = kubernetes\napplication = signal_classification\n`)
        .message,
    ).toContain('no implementation');
  });

  it("drops cache_worker for image_classification with a warning (upstream's check was ineffective)", () => {
    const r = load(`${CLOUD}${KUBE_BENCH}cache_worker = True\n`);
    expect(r.config['resourceManager']).toEqual({ use: 'kubernetes' });
    expect(r.warnings.join('\n')).toContain('cache_worker');
    const ctl = load(
      `${CLOUD}[benchmark]\nresource_manager = kubecontrol\napplication = empty\nsleep_time = 5\ncache_worker = yes\nobservability = True\n`,
    );
    expect(ctl.config['resourceManager']).toEqual({
      use: 'kubernetes',
      options: { kubernetesVersion: 'v1.27.0', cacheWorker: true, observability: true },
    });
  });

  it('warns about unknown keys and suggests the closest upstream key', () => {
    const r = load(`${CLOUD}cloud_node = 3\n${KUBE_BENCH}frequncy = 4\n[extra]\na = 1\n`);
    const text = r.warnings.join('\n');
    expect(text).toContain(
      '[infrastructure] cloud_node (line 13) is not an upstream key and is ignored (upstream ignores it too); did you mean cloud_nodes?',
    );
    expect(text).toContain('[benchmark] frequncy');
    expect(text).toContain('section [extra]');
  });

  it('runs on the endpoints when resource_manager = none but cloud nodes exist', () => {
    const r = load(
      `${CLOUD}[benchmark]\nresource_manager = none\napplication = image_classification\nfrequency = 5\n`,
    );
    expect(obj(r.config['application'])['options']['mode']).toBe('endpoint');
    expect(r.config['resourceManager']).toBeUndefined();
  });
});

describe('upstream IP plan', () => {
  it('numbers controller, cloud, edge, endpoint from .2 and rolls over after .251', () => {
    const plan = upstreamIpPlan({
      prefixIP: '10.0',
      middleIP: 100,
      middleIPBase: 90,
      controller: true,
      cloudWorkers: 1,
      edges: 0,
      endpoints: 250,
      baseImageRm: 'kubernetes',
      user: 'alice',
    });
    expect(plan.nodes[0]).toEqual({
      node: 'cloud_controller',
      vmName: 'cloud_controller_alice',
      role: 'cloud-controller',
      ip: '10.0.100.2',
    });
    expect(plan.nodes[1]).toEqual({
      node: 'cloud0',
      vmName: 'cloud0_alice',
      role: 'cloud',
      ip: '10.0.100.3',
    });
    expect(plan.nodes.find((n) => n.node === 'endpoint247')?.ip).toBe('10.0.100.251');
    expect(plan.nodes.find((n) => n.node === 'endpoint248')?.ip).toBe('10.0.101.2');
    expect(plan.baseImages).toEqual([
      { vmName: 'base_cloud_kubernetes0_alice', ip: '10.0.90.2', tier: 'cloud' },
      { vmName: 'base_endpoint0_alice', ip: '10.0.90.3', tier: 'endpoint' },
    ]);
    const infraOnly = upstreamIpPlan({
      prefixIP: '10.0',
      middleIP: 100,
      middleIPBase: 90,
      controller: false,
      cloudWorkers: 1,
      edges: 0,
      endpoints: 0,
    });
    expect(infraOnly.baseImages).toEqual([{ vmName: 'base0', ip: '10.0.90.2', tier: 'all' }]);
  });
});

describe('loadLegacyConfig', () => {
  it('reports an unreadable file as a config error', async () => {
    const err = await loadLegacyConfig('/nonexistent/x.cfg').catch((e: unknown) => e);
    expect(isContinuumError(err)).toBe(true);
    expect((err as Error).message).toContain('/nonexistent/x.cfg');
  });
});

describe('scale limits', () => {
  it("rejects node counts beyond upstream's address plan or a sanity bound", () => {
    expect(
      rejection(
        `${CLOUD}middleIP = 254\nmiddleIP_base = 90\n`.replace('endpoint_nodes = 1', 'endpoint_nodes = 300') +
          KUBE_BENCH.replace('kubernetes', 'none'),
      ).message,
    ).toContain('leaves room for 250 VM addresses');
    expect(
      rejection(`${CLOUD}`.replace('endpoint_nodes = 1', 'endpoint_nodes = 100000000') + KUBE_BENCH).message,
    ).toContain('more than 10000 is not supported');
  });
});

describe('files written for older upstream versions', () => {
  it('rejects the stale schema without *_memory and points at misplaced keys', () => {
    const stale = `[infrastructure]\nprovider = qemu\ncloud_nodes = 1\nedge_nodes = 2\nendpoint_nodes = 4\ncloud_cores = 4\nedge_cores = 4\nendpoint_cores = 1\ncloud_quota = 1.0\nedge_quota = 1.0\nendpoint_quota = 0.5\n[benchmark]\nresource_manager = kubeedge\ndelete = True\napplication = image_classification\nfrequency = 5\n`;
    const { message, hint } = rejection(stale);
    for (const t of ['cloud', 'edge', 'endpoint'])
      expect(message).toContain(`[infrastructure] ${t}_memory is missing (mandatory because ${t}_nodes`);
    expect(hint).toContain('older upstream versions lack the *_memory keys');
    const fixed = load(
      stale.replace(
        'endpoint_quota = 0.5',
        'endpoint_quota = 0.5\ncloud_memory = 4\nedge_memory = 4\nendpoint_memory = 1',
      ),
    );
    expect(fixed.warnings.join('\n')).toContain(
      '[benchmark] delete (line 17) belongs in [infrastructure] (older upstream versions had it here) and is ignored',
    );
    expect(fixed.config['run']).toEqual({ keep: true });
  });
});

describe('upstream warnings kept', () => {
  it('warns when a Kubernetes control plane gets fewer than 2 cores', () => {
    const r = load(`${CLOUD.replace('cloud_cores = 4', 'cloud_cores = 1')}${KUBE_BENCH}`);
    expect(r.warnings.join('\n')).toContain('cloud_cores = 1: the Kubernetes control plane needs >= 2 cores');
    expect(load(`${CLOUD}${KUBE_BENCH}`).warnings.join('\n')).not.toContain('control plane needs');
  });
});

describe('keys of other providers or modules', () => {
  it('notes them without a warning (they change nothing, as upstream)', () => {
    const r = load(`${CLOUD}gcp_zone = "europe-west4-a"\naws_ami = "ami-1"\n${KUBE_BENCH}sleep_time = 3\n`);
    expect(r.warnings.join('\n')).not.toMatch(/gcp_zone|aws_ami|sleep_time/);
    const notes = r.notes.map((n) => n.note).join('\n');
    for (const k of ['gcp_zone', 'aws_ami', 'sleep_time'])
      expect(notes).toContain(`${k} ignored: does not apply`);
  });
});
