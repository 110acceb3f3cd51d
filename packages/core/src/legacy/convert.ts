/**
 * Upstream .cfg (parsed INI) → native config object, with upstream's semantics: types, defaults,
 * "mandatory only if the tier has nodes", derived mode, module options, cross-field rules.
 * Upstream bugs are not copied (see continuum-upstream.md §7); where that changes what a file
 * means, a warning says so.
 */
import { deriveMode, LINK_CLASSES, type LinkClass, type Mode } from '@continuum/plugin-api';
import type { IniDocument } from './ini.js';
import { OptionReader } from './reader.js';
import { POSTFIX_IP_LOWER, POSTFIX_IP_UPPER } from './ip-plan.js';
import {
  DEFAULT_KUBE_VERSION,
  GCP_KEYS,
  KATA_FILESYSTEMS,
  KATA_RUNTIMES,
  KNOWN_KEYS,
  KUBE_DEPLOYMENTS,
  KUBECONTROL_VERSIONS,
  LINK_FIELDS,
  LINK_KEY_PREFIX,
  NETWORK_KEYS,
  SECTION,
  suggestKey,
  TIER_NAMES,
  UPSTREAM_APPS,
  UPSTREAM_MODELS,
  UPSTREAM_PROVIDERS,
  UPSTREAM_RMS,
  type UpstreamApp,
  type UpstreamProvider,
  type UpstreamRm,
} from './upstream.js';

export interface LegacyNote {
  /** Dotted path in the native config the note belongs to (where `config import` puts the comment). */
  path: string;
  note: string;
}

export interface ConvertResult {
  config: Record<string, unknown>;
  warnings: string[];
  notes: LegacyNote[];
  /** What the file said in upstream terms, for `plan` (IP plan, upstream VM names). */
  upstream: UpstreamSummary;
}

export interface UpstreamSummary {
  provider: UpstreamProvider;
  resourceManager: UpstreamRm | undefined;
  application: UpstreamApp | undefined;
  executionModel: string | undefined;
  mode: Mode;
  infraOnly: boolean;
  /** Whether upstream would create a `cloud_controller` VM. */
  controller: boolean;
  /** Upstream's address plan inputs (QEMU). */
  ip: { prefixIP: string; middleIP: number; middleIPBase: number };
}

type Tier = (typeof TIER_NAMES)[number];
/** A sanity bound: nobody emulates more, and a typo like 10000000 should not hang `plan`. */
const MAX_NODES = 10_000;
const { infra: INF, bench: BEN, exec: EXE } = SECTION;

const oneOf =
  <T extends string>(allowed: readonly T[], what: string) =>
  (v: string): string | undefined =>
    (allowed as readonly string[]).includes(v) ? undefined : `${what} must be one of ${allowed.join(', ')}`;

/** Convert, or return the issues that make upstream (or we) reject the file. */
export function convertLegacy(
  doc: IniDocument,
): { ok: true; result: ConvertResult } | { ok: false; reader: OptionReader } {
  const r = new OptionReader(doc);
  const warnings: string[] = [];
  const notes: LegacyNote[] = [];

  if (!r.hasSection(INF)) {
    r.issue(
      INF,
      undefined,
      'section is missing',
      'Every upstream config starts with an [infrastructure] section (provider, *_nodes, ...).',
    );
    return { ok: false, reader: r };
  }

  // ---- [infrastructure] core keys -------------------------------------------------------------
  const provider = r.str(INF, 'provider', {
    mandatory: true,
    check: (v) => {
      if (v === 'aws') return 'the AWS provider is not available';
      return oneOf(UPSTREAM_PROVIDERS, 'provider')(v);
    },
    hint:
      r.isSet(INF, 'provider') &&
      /^\s*aws\s*$/i.test(doc.sections.get(INF)?.entries.get('provider')?.value ?? '')
        ? 'There is no @continuum/provider-aws plugin yet. Use provider = gcp or provider = qemu, or install an AWS provider plugin when one exists (continuum plugins:install <package>).'
        : 'Use provider = qemu, gcp or baremetal.',
  }) as UpstreamProvider | undefined;

  const infraOnly = r.bool(INF, 'infra_only', { default: false }) ?? false;
  const nonNegative = (v: number): string | undefined => (v >= 0 ? undefined : 'must be >= 0');
  const counts = {
    cloud: r.int(INF, 'cloud_nodes', { default: 0, check: nonNegative }) ?? 0,
    edge: r.int(INF, 'edge_nodes', { default: 0, check: nonNegative }) ?? 0,
    endpoint: r.int(INF, 'endpoint_nodes', { default: 0, check: nonNegative }) ?? 0,
  };
  if (counts.cloud + counts.edge + counts.endpoint === 0 && r.issues.length === 0) {
    r.issue(
      INF,
      'cloud_nodes',
      'plus edge_nodes plus endpoint_nodes is 0; at least one node is needed',
      'Set cloud_nodes, edge_nodes or endpoint_nodes to 1 or more.',
    );
  }
  const mode = deriveMode(counts);

  const tiers = {} as Record<
    Tier,
    { nodes: number; cores: number; memory: number; quota: number; read: number; write: number }
  >;
  for (const t of TIER_NAMES) {
    const n = counts[t];
    const need = n > 0;
    const because = `because ${t}_nodes = ${n}`;
    const cores = r.int(INF, `${t}_cores`, {
      mandatory: need,
      mandatoryBecause: because,
      default: 0,
      check: (v) => (v > 0 ? undefined : 'must be > 0'),
    });
    // Upstream reads memory as an integer number of GB; fractions are accepted here because the native config allows them.
    const memory = r.float(INF, `${t}_memory`, {
      mandatory: need,
      mandatoryBecause: because,
      default: 0,
      check: (v) => (v > 0 ? undefined : 'must be > 0 (GB)'),
      hint: `Add "${t}_memory = <GB per VM>" to [infrastructure]; files written for older upstream versions lack the *_memory keys, and upstream rejects them too.`,
    });
    const quota = r.float(INF, `${t}_quota`, {
      mandatory: need,
      mandatoryBecause: because,
      default: 0,
      check: (v) => (v >= 0.1 && v <= 1 ? undefined : 'must be between 0.1 and 1.0 (share of each core)'),
    });
    const read = r.int(INF, `${t}_read_speed`, { default: 0, check: nonNegative }) ?? 0;
    const write = r.int(INF, `${t}_write_speed`, { default: 0, check: nonNegative }) ?? 0;
    tiers[t] = { nodes: n, cores: cores ?? 0, memory: memory ?? 0, quota: quota ?? 0, read, write };
    if (!need) {
      const given = [`${t}_cores`, `${t}_memory`, `${t}_quota`, `${t}_read_speed`, `${t}_write_speed`].filter(
        (k) => r.isSet(INF, k),
      );
      if (given.length > 0)
        notes.push({ path: `infrastructure.${t}`, note: `${given.join(', ')} ignored: ${t}_nodes = 0` });
    } else if (read > 0 || write > 0) {
      warnings.push(
        `${t}_read_speed/${t}_write_speed = ${read}/${write}: upstream documented MB/s but passed the number to libvirt as bytes/s (a bug); ` +
          `Continuum applies ${read}/${write} MB/s, which is 1,000,000 times faster than what upstream actually ran.`,
      );
    }
  }

  const cpuPin = r.bool(INF, 'cpu_pin', { default: false }) ?? false;
  const externals = r.list(INF, 'external_physical_machines');
  const netperf = r.bool(INF, 'netperf', { default: false }) ?? false;
  const basePath = r.str(INF, 'base_path');
  const prefixIP =
    r.str(INF, 'prefixIP', {
      default: '192.168',
      check: (v) => {
        const parts = v.split('.');
        const ok =
          parts.length === 2 && parts.every((p) => /^\d+$/.test(p) && Number(p) > 0 && Number(p) < 255);
        return ok ? undefined : 'must be two numbers 1..254 joined by a dot, e.g. 192.168';
      },
    }) ?? '192.168';
  const octet = (v: number): string | undefined =>
    v > 0 && v < 255 ? undefined : 'must be between 1 and 254';
  const middleIP = r.int(INF, 'middleIP', { default: 100, check: octet }) ?? 100;
  const middleIPBase = r.int(INF, 'middleIP_base', { default: 90, check: octet }) ?? 90;
  if (middleIP === middleIPBase) {
    r.issue(
      INF,
      r.isSet(INF, 'middleIP_base') ? 'middleIP_base' : 'middleIP',
      `must differ from middleIP (both are ${middleIP}): base images and VMs would share addresses`,
      'Pick another third octet for middleIP_base (default 90).',
    );
  }
  const deleteVms = r.bool(INF, 'delete', { default: false }) ?? false;
  const total = counts.cloud + counts.edge + counts.endpoint;
  if (total > MAX_NODES) {
    r.issue(
      INF,
      'endpoint_nodes',
      `and the other *_nodes add up to ${total} nodes; more than ${MAX_NODES} is not supported`,
      'Check the *_nodes values for a typo.',
    );
  } else if (provider === 'qemu') {
    // Upstream's address plan: .2-.251 per third octet, from middleIP upwards, at most .254.
    const capacity = (255 - middleIP) * (POSTFIX_IP_UPPER - POSTFIX_IP_LOWER);
    if (total + 1 > capacity) {
      r.issue(
        INF,
        'middleIP',
        `= ${middleIP} leaves room for ${capacity} VM addresses (${prefixIP}.${middleIP}.2 to ${prefixIP}.254.251), but ${total} nodes plus a controller need more`,
        'Use a lower middleIP, or fewer nodes.',
      );
    }
  }

  // ---- network emulation (upstream parses these keys only when network_emulation = True) -----
  const emulation = r.bool(INF, 'network_emulation', { default: false }) ?? false;
  let preset: '4g' | '5g' = '4g';
  const links: Partial<Record<LinkClass, Record<string, number>>> = {};
  if (emulation) {
    const p = r.str(INF, 'wireless_network_preset', {
      default: '4g',
      check: (v) => oneOf(['4g', '5g'], 'wireless_network_preset')(v.toLowerCase()),
    });
    preset = (p ?? '4g').toLowerCase() as '4g' | '5g';
    for (const cls of LINK_CLASSES) {
      for (const f of LINK_FIELDS) {
        const key = `${LINK_KEY_PREFIX[cls]}_${f.suffix}`;
        const v = r.float(INF, key, {
          default: -1,
          // -1 is upstream's "use the built-in value".
          check: (x) =>
            x === -1 || x >= f.min ? undefined : `must be >= ${f.min} (or -1 for the built-in value)`,
        });
        if (v !== undefined && v !== -1) (links[cls] ??= {})[f.native] = v;
      }
    }
  } else {
    const ignored = NETWORK_KEYS.filter((k) => r.isSet(INF, k));
    for (const k of ignored) r.touch(INF, k);
    if (ignored.length > 0) {
      notes.push({
        path: 'infrastructure.network',
        note: `${ignored.join(', ')} ignored: network_emulation is False (upstream ignores them too)`,
      });
    }
  }

  // ---- provider-specific keys ----------------------------------------------------------------
  const providerOptions: Record<string, unknown> = {};
  let providerUse: string | undefined;
  if (provider === 'qemu') {
    providerUse = 'qemu';
    providerOptions['prefixIP'] = prefixIP;
    providerOptions['middleIP'] = middleIP;
    providerOptions['cpuPin'] = cpuPin;
    // Keys of upstream's image pipeline: the qemu provider builds its base image once
    // (`continuum images build`) instead of per-run base VMs under <base_path>/.continuum.
    if (r.isSet(INF, 'middleIP_base')) {
      notes.push({
        path: 'provider.options.middleIP',
        note: `middleIP_base = ${middleIPBase} has no equivalent: there are no base-image VMs (the image is built once by \`continuum images build\`)`,
      });
    }
    if (basePath !== undefined) {
      notes.push({
        path: 'provider',
        note: `base_path = ${basePath} has no equivalent: the qemu provider keeps images in its own cache and run files in the run directory (--run-dir)`,
      });
    }
    if (externals.length > 0) {
      const hosts = externals.map((target) => {
        if (!/^([^@\s/]+@)?[^@\s/:]+$/.test(target)) {
          r.issue(
            INF,
            'external_physical_machines',
            `entry "${target}" is not user@host`,
            'List the extra machines as user@host, comma-separated.',
          );
        }
        const host = target.includes('@') ? target.slice(target.indexOf('@') + 1) : target;
        // Upstream required a shared L2 bridge br0 on every host; keep that arrangement.
        return { uri: `qemu+ssh://${target}/system`, address: host, existingBridge: 'br0' };
      });
      providerOptions['externalHosts'] = hosts;
      providerOptions['existingBridge'] = 'br0';
      warnings.push(
        `external_physical_machines = ${externals.join(', ')}: VMs are spread over these hosts through libvirt over ssh (qemu+ssh://<user@host>/system), ` +
          'all attached to an existing bridge br0 on every host, as upstream required (docs/NETWORK.md); the bridge is not created or modified.',
      );
    }
  } else if (provider === 'gcp') {
    providerUse = 'gcp';
    const gcpHint =
      'Fill in your GCP details, quoted as upstream expects, e.g. gcp_project = "continuum-123456", gcp_region = "europe-west4", ' +
      'gcp_zone = "europe-west4-a", gcp_credentials = "~/.ssh/<service-account>.json" (upstream\'s configuration/gcp_update.py fills them in bulk).';
    const machineTypes: Record<string, string> = {};
    for (const t of TIER_NAMES) {
      const v = r.quoted(INF, `gcp_${t}`, {
        mandatory: counts[t] > 0,
        mandatoryBecause: `because ${t}_nodes = ${counts[t]}`,
        hint: `Set gcp_${t} to a GCP machine type, e.g. gcp_${t} = "e2-medium".`,
      });
      if (v !== undefined && counts[t] > 0) machineTypes[t] = v;
      else if (v !== undefined)
        notes.push({ path: 'provider.options', note: `gcp_${t} ignored: ${t}_nodes = 0` });
    }
    for (const k of ['project', 'region', 'zone', 'credentials'] as const) {
      const v = r.quoted(INF, `gcp_${k}`, { mandatory: true, hint: gcpHint });
      if (v !== undefined) providerOptions[k] = v;
    }
    providerOptions['machineTypes'] = machineTypes;
    if (externals.length > 0) {
      r.issue(
        INF,
        'external_physical_machines',
        'cannot be used with provider = gcp (GCP is a single "machine")',
        'Remove external_physical_machines.',
      );
    }
    const qemuOnly = ['cpu_pin', 'base_path', 'prefixIP', 'middleIP', 'middleIP_base'].filter((k) =>
      r.isSet(INF, k),
    );
    if (qemuOnly.length > 0)
      notes.push({
        path: 'provider',
        note: `${qemuOnly.join(', ')}: no effect on gcp (GCP picks its own IPs; upstream ignored them too)`,
      });
  } else if (provider === 'baremetal') {
    providerUse = 'local';
    notes.push({
      path: 'provider',
      note: 'upstream provider = baremetal (no VMs, containers on this host) → the local provider (network namespaces or processes on this host)',
    });
    const qemuOnly = ['cpu_pin', 'base_path', 'prefixIP', 'middleIP', 'middleIP_base'].filter((k) =>
      r.isSet(INF, k),
    );
    if (qemuOnly.length > 0)
      notes.push({ path: 'provider', note: `${qemuOnly.join(', ')}: no equivalent for the local provider` });
  }
  if (provider === 'gcp') for (const k of GCP_KEYS) r.touch(INF, k);

  // ---- [benchmark] ---------------------------------------------------------------------------
  let rm: UpstreamRm | undefined;
  let app: UpstreamApp | undefined;
  let model: string | undefined;
  let rmOnly = false;
  const appOptions: Record<string, unknown> = {};
  let observability = false;
  let dockerPull = false;
  let cacheWorker = false;
  let kubeVersion: string | undefined;
  let kubeDeployment: string = 'pod';
  let runtime: string = 'runc';
  let runtimeFs: string = 'devmapper';
  let workerCpu = 0;
  let workerMem = 0;

  if (infraOnly) {
    for (const s of [BEN, EXE]) {
      const sec = doc.sections.get(s);
      if (sec) {
        for (const k of sec.entries.keys()) r.touch(s, k);
        notes.push({
          path: 'infrastructure',
          note: `[${s}] ignored: infra_only = True (only the infrastructure is created; upstream ignores it too)`,
        });
      }
    }
  } else if (!r.hasSection(BEN)) {
    r.issue(
      BEN,
      undefined,
      'section is missing (needed unless infra_only = True)',
      'Add [benchmark] with resource_manager = ... and application = ..., or set infra_only = True in [infrastructure].',
    );
  } else {
    rm = r.str(BEN, 'resource_manager', {
      mandatory: true,
      check: oneOf(UPSTREAM_RMS, 'resource_manager'),
      hint: 'Use resource_manager = kubernetes (cloud), kubeedge (edge), mist (edge, no RM) or none (endpoints only).',
    }) as UpstreamRm | undefined;
    rmOnly = r.bool(BEN, 'resource_manager_only', { default: false }) ?? false;
    dockerPull = r.bool(BEN, 'docker_pull', { default: false }) ?? false;
    app = r.str(BEN, 'application', {
      check: (v) => {
        if (v === 'signal_classification')
          return 'upstream has no implementation of signal_classification (only its sources)';
        return oneOf(UPSTREAM_APPS, 'application')(v);
      },
    }) as UpstreamApp | undefined;
    if (rmOnly && r.isSet(BEN, 'application')) {
      r.issue(
        BEN,
        'application',
        'must not be set when resource_manager_only = True',
        'Remove application (and its keys), or set resource_manager_only = False.',
      );
    } else if (!rmOnly && !r.isSet(BEN, 'application')) {
      r.issue(
        BEN,
        'application',
        'is missing (mandatory unless resource_manager_only = True)',
        'Add application = image_classification (and frequency = 5), or set resource_manager_only = True.',
      );
    }
    if (rmOnly) app = undefined;

    const workerTier = mode === 'cloud' ? tiers.cloud : mode === 'edge' ? tiers.edge : undefined;
    const positive = (v: number): string | undefined => (v >= 0.001 ? undefined : 'must be >= 0.001');
    workerCpu =
      r.float(BEN, 'application_worker_cpu', {
        default: workerTier ? workerTier.cores - 0.5 : 0,
        check: positive,
      }) ?? 0;
    workerMem =
      r.float(BEN, 'application_worker_memory', {
        default: workerTier ? workerTier.memory - 0.5 : 0,
        check: positive,
      }) ?? 0;
    const endpointCpu =
      r.float(BEN, 'application_endpoint_cpu', { default: tiers.endpoint.cores, check: positive }) ?? 0;
    const endpointMem =
      r.float(BEN, 'application_endpoint_memory', { default: tiers.endpoint.memory, check: positive }) ?? 0;
    const perWorker =
      r.int(BEN, 'applications_per_worker', {
        default: 1,
        check: (v) => (v >= 1 ? undefined : 'must be >= 1'),
      }) ?? 1;
    observability = r.bool(BEN, 'observability', { default: false }) ?? false;

    // Module-added keys: only the selected modules read them (others are unknown to upstream).
    if (app === 'image_classification') {
      const frequency = r.int(BEN, 'frequency', {
        mandatory: true,
        mandatoryBecause: 'for application = image_classification',
        check: (v) => (v >= 1 ? undefined : 'must be >= 1 (images per second per endpoint)'),
        hint: 'Add frequency = 5 (images per second per endpoint).',
      });
      const duration = r.int(BEN, 'duration', {
        default: 300,
        check: (v) => (v >= 1 ? undefined : 'must be >= 1 (seconds)'),
      });
      if (frequency !== undefined) appOptions['frequency'] = frequency;
      appOptions['duration'] = duration;
      const hasWorkers =
        mode !== 'endpoint' ||
        r.isSet(BEN, 'application_worker_cpu') ||
        r.isSet(BEN, 'application_worker_memory');
      if (hasWorkers) {
        appOptions['workerCpu'] = workerCpu;
        appOptions['workerMemory'] = workerMem;
      }
      appOptions['endpointCpu'] = endpointCpu;
      appOptions['endpointMemory'] = endpointMem;
      appOptions['perWorker'] = perWorker;
    } else if (app === 'empty' || app === 'empty_kata') {
      appOptions['sleepTime'] = r.int(BEN, 'sleep_time', {
        mandatory: true,
        mandatoryBecause: `for application = ${app}`,
        check: (v) => (v >= 1 ? undefined : 'must be >= 1 (seconds)'),
      });
      appOptions['perWorker'] = perWorker;
    } else if (app === 'stress') {
      appOptions['timeout'] = r.int(BEN, 'stress_app_timeout', {
        mandatory: true,
        mandatoryBecause: 'for application = stress',
        check: (v) => (v >= 1 ? undefined : 'must be >= 1 (seconds)'),
      });
      appOptions['perWorker'] = perWorker;
    } else if (app === 'mem_usage') {
      appOptions['perWorker'] = perWorker;
    }

    if (rm === 'kubernetes' || rm === 'kubeedge' || rm === 'kubecontrol' || rm === 'kube_kata') {
      cacheWorker = r.bool(BEN, 'cache_worker', { default: false }) ?? false;
    }
    if (rm === 'kubernetes' || rm === 'kubecontrol' || rm === 'kube_kata') {
      const kubeControl = rm !== 'kubernetes';
      kubeVersion = r.str(BEN, 'kube_version', {
        check: (v) => {
          // Upstream's condition was a no-op; check what it meant to check.
          if (kubeControl) return oneOf(KUBECONTROL_VERSIONS, 'kube_version')(v);
          return /^v1\.\d+\.\d+$/.test(v) ? undefined : 'must look like v1.27.0';
        },
      });
    }
    if (rm === 'kubecontrol' || rm === 'kube_kata') {
      kubeDeployment =
        r.str(BEN, 'kube_deployment', {
          default: 'pod',
          check: oneOf(KUBE_DEPLOYMENTS, 'kube_deployment'),
        }) ?? 'pod';
    }
    if (rm === 'kube_kata') {
      runtime = r.str(BEN, 'runtime', { default: 'runc', check: oneOf(KATA_RUNTIMES, 'runtime') }) ?? 'runc';
      runtimeFs =
        r.str(BEN, 'runtime_filesystem', {
          default: 'devmapper',
          check: oneOf(KATA_FILESYSTEMS, 'runtime_filesystem'),
        }) ?? 'devmapper';
    }

    // ---- [execution_model] ---------------------------------------------------------------------
    if (r.hasSection(EXE)) {
      model = r.str(EXE, 'model', {
        mandatory: true,
        check: oneOf(UPSTREAM_MODELS, 'model'),
        hint: 'Use model = openfaas, or remove the [execution_model] section.',
      });
    }

    // ---- fractional CPU / memory truncation (upstream used docker --cpus=%i / --memory=%ig) ----
    if (app !== undefined && counts.endpoint > 0) {
      truncationWarning(warnings, 'application_endpoint_cpu', endpointCpu, 'CPUs', 'docker --cpus');
      truncationWarning(warnings, 'application_endpoint_memory', endpointMem, 'GB', 'docker --memory');
    }
    if (app !== undefined && rm === 'mist') {
      truncationWarning(warnings, 'application_worker_cpu', workerCpu, 'CPUs', 'docker --cpus');
      truncationWarning(warnings, 'application_worker_memory', workerMem, 'GB', 'docker --memory');
    }
  }
  if (infraOnly && r.hasSection(EXE)) r.touch(EXE, 'model');

  // ---- cross-field rules (verify_options); only meaningful once the keys themselves are valid ----
  if (r.issues.length === 0) {
    checkNodeRules(r, {
      provider,
      rm,
      app,
      model,
      rmOnly,
      counts,
      externals,
      runtime,
      runtimeFs,
      warnings,
      infraOnly,
      cloudCores: tiers.cloud.cores,
    });
  }

  // Unknown keys and sections: upstream ignores them silently; a typo deserves a warning.
  for (const s of [INF, BEN, EXE]) {
    for (const u of r.unknownKeys(s)) {
      const guess = suggestKey(s, u.key);
      const known = (KNOWN_KEYS[s] ?? []).includes(u.key);
      const home = Object.keys(KNOWN_KEYS).find(
        (other) => other !== s && (KNOWN_KEYS[other] ?? []).includes(u.key),
      );
      const why = known
        ? 'does not apply to this provider / resource manager / application'
        : home !== undefined
          ? `belongs in [${home}] (older upstream versions had it here)`
          : 'is not an upstream key';
      // A key of another provider/module changes nothing (a note); a typo or misplaced key probably
      // means the user expects an effect they will not get (a warning).
      if (!known) {
        warnings.push(
          `[${s}] ${u.rawKey} (line ${u.line}) ${why} and is ignored (upstream ignores it too)${guess && home === undefined ? `; did you mean ${guess}?` : ''}`,
        );
      }
      notes.push({ path: s === INF ? 'infrastructure' : 'application', note: `${u.rawKey} ignored: ${why}` });
    }
  }
  for (const [name, sec] of doc.sections) {
    if (name !== INF && name !== BEN && name !== EXE) {
      warnings.push(`section [${sec.name}] (line ${sec.line}) is not an upstream section and is ignored`);
    }
  }

  if (r.issues.length > 0 || provider === undefined || providerUse === undefined)
    return { ok: false, reader: r };

  // ---- assemble the native config --------------------------------------------------------------
  const tierOut = (t: Tier): Record<string, unknown> => {
    const s = tiers[t];
    if (s.nodes === 0) return { nodes: 0 };
    const out: Record<string, unknown> = { nodes: s.nodes, cores: s.cores, memory: s.memory, quota: s.quota };
    if (s.read > 0) out['readSpeed'] = s.read;
    if (s.write > 0) out['writeSpeed'] = s.write;
    return out;
  };
  const network: Record<string, unknown> = { emulation };
  if (emulation) {
    network['preset'] = preset;
    if (Object.keys(links).length > 0) network['links'] = links;
  }
  network['throughput'] = netperf;

  const config: Record<string, unknown> = {
    infrastructure: {
      cloud: tierOut('cloud'),
      edge: tierOut('edge'),
      endpoint: tierOut('endpoint'),
      network,
    },
    provider:
      Object.keys(providerOptions).length > 0
        ? { use: providerUse, options: providerOptions }
        : { use: providerUse },
  };
  if (netperf)
    notes.push({
      path: 'infrastructure.network.throughput',
      note: 'upstream netperf = True: throughput/latency test between tiers after setup',
    });

  const withApp = !infraOnly && app !== undefined;
  if (withApp && app === 'image_classification') config['services'] = [{ use: 'mqtt' }];

  let controller = false;
  if (!infraOnly && rm !== undefined) {
    const rmNative = mapResourceManager({
      rm,
      model,
      cacheWorker,
      kubeVersion,
      observability,
      app,
      notes,
      warnings,
    });
    if (rmNative !== undefined) {
      config['resourceManager'] = rmNative;
      controller = rm !== 'mist' && counts.cloud > 0;
    }
  }
  if (withApp && app !== undefined) {
    if (rm === 'none' && provider !== 'baremetal' && mode !== 'endpoint') {
      // Upstream runs everything on the endpoints when there is no resource manager.
      appOptions['mode'] = 'endpoint';
      notes.push({
        path: 'application.options.mode',
        note: 'resource_manager = none: upstream processes on the endpoints even though cloud/edge nodes exist',
      });
    }
    if (rm === 'kubecontrol') {
      // kube_deployment: how the deployment benchmark submits its N instances (pod/container/file/call).
      appOptions['deployment'] = kubeDeployment;
    }
    config['application'] = { use: app.replace(/_/g, '-'), options: appOptions };
    if (app === 'image_classification' && !r.isSet(BEN, 'duration')) {
      notes.push({ path: 'application.options.duration', note: 'upstream default (300 s)' });
    }
  }
  if (!infraOnly && observability) {
    config['monitors'] = [{ use: 'prometheus' }];
    notes.push({ path: 'monitors', note: 'upstream observability = True (Prometheus + Grafana)' });
  }
  if (dockerPull) {
    notes.push({
      path: config['application'] !== undefined ? 'application' : 'provider',
      note: 'docker_pull = True has no direct equivalent: plugins pull the images they need for every new run',
    });
  }
  if (infraOnly)
    notes.push({
      path: 'infrastructure',
      note: 'upstream infra_only = True: no services, resource manager or application',
    });
  if (rmOnly)
    notes.push({
      path: 'resourceManager',
      note: 'upstream resource_manager_only = True: no application is run',
    });

  config['run'] = { keep: !deleteVms };
  notes.push({
    path: 'run.keep',
    note: `upstream delete = ${deleteVms ? 'True' : 'False'}${r.isSet(INF, 'delete') ? '' : ' (its default)'}`,
  });
  if (!deleteVms) {
    warnings.push(
      `delete is ${r.isSet(INF, 'delete') ? 'False' : 'not set (upstream default False)'}: the infrastructure is kept after \`continuum run\`, like upstream; ` +
        'remove it with `continuum down`, or set delete = True.',
    );
  }

  return {
    ok: true,
    result: {
      config,
      warnings,
      notes,
      upstream: {
        provider,
        resourceManager: infraOnly ? undefined : rm,
        application: withApp ? app : undefined,
        executionModel: model,
        mode,
        infraOnly,
        controller,
        ip: { prefixIP, middleIP, middleIPBase },
      },
    },
  };
}

function truncationWarning(warnings: string[], key: string, value: number, unit: string, flag: string): void {
  if (Number.isInteger(value)) return;
  warnings.push(
    `${key} = ${value} ${unit}: upstream passed ${flag}=${Math.trunc(value)}${unit === 'CPUs' && Math.trunc(value) === 0 ? ' (0 = unlimited)' : unit === 'GB' ? 'g' : ''} ` +
      `(it truncated fractions, a bug); Continuum applies ${value} ${unit}.`,
  );
}

function mapResourceManager(a: {
  rm: UpstreamRm;
  model: string | undefined;
  cacheWorker: boolean;
  kubeVersion: string | undefined;
  observability: boolean;
  app: UpstreamApp | undefined;
  notes: LegacyNote[];
  warnings: string[];
}): Record<string, unknown> | undefined {
  // Option names of the Kubernetes-based resource-manager plugins (kubernetes, kubeedge, openfaas).
  const options: Record<string, unknown> = {};
  const withOptions = (use: string): Record<string, unknown> =>
    Object.keys(options).length > 0 ? { use, options } : { use };
  const cache = (): void => {
    if (!a.cacheWorker) return;
    if (a.app === 'image_classification' || a.model !== undefined) {
      // Upstream meant to reject this combination but compared against the string "True".
      a.warnings.push(
        'cache_worker = True is not supported with image_classification / openfaas (upstream meant to reject it, its check was ineffective); it is ignored.',
      );
      a.notes.push({
        path: 'resourceManager',
        note: 'cache_worker = True ignored (not supported with this application)',
      });
      return;
    }
    options['cacheWorker'] = true;
  };
  const observe = (): void => {
    if (a.observability) options['observability'] = true;
  };
  const version = (): void => {
    if (a.kubeVersion === undefined) {
      a.notes.push({
        path: 'resourceManager',
        note: 'upstream installed Kubernetes v1.27; the plugin installs its default version (set options.kubernetesVersion: v1.27 to match)',
      });
      return;
    }
    options['kubernetesVersion'] = a.kubeVersion;
    if (a.rm === 'kubernetes' && a.kubeVersion !== DEFAULT_KUBE_VERSION) {
      a.warnings.push(
        `kube_version = ${a.kubeVersion}: upstream ignored it for resource_manager = kubernetes and always installed v1.27; Continuum installs ${a.kubeVersion}.`,
      );
    }
  };
  switch (a.rm) {
    case 'none':
      a.notes.push({
        path: 'infrastructure',
        note: 'upstream resource_manager = none: no resource manager, endpoints process locally (built-in runner)',
      });
      return undefined;
    case 'mist':
      a.notes.push({
        path: 'resourceManager',
        note: 'upstream resource_manager = mist: workers are plain containers on the edge nodes',
      });
      return { use: 'docker' };
    case 'kubeedge':
      cache();
      observe();
      return withOptions('kubeedge');
    case 'kubernetes':
      version();
      cache();
      observe();
      if (a.model === 'openfaas') {
        a.notes.push({
          path: 'resourceManager',
          note: 'upstream [execution_model] model = openfaas on resource_manager = kubernetes',
        });
        return withOptions('openfaas');
      }
      return withOptions('kubernetes');
    case 'kubecontrol':
      // Upstream's instrumented Kubernetes; the deployment benchmark itself is the application's job.
      options['kubernetesVersion'] = a.kubeVersion ?? DEFAULT_KUBE_VERSION;
      cache();
      observe();
      a.notes.push({
        path: 'resourceManager',
        note: 'upstream resource_manager = kubecontrol (instrumented Kubernetes); its patched kubelet/kubeadm builds are not used, phase times come from the Kubernetes API',
      });
      return withOptions('kubernetes');
    case 'kube_kata':
      // Rejected before conversion (checkNodeRules); kept for exhaustiveness.
      return undefined;
  }
}

function checkNodeRules(
  r: OptionReader,
  a: {
    provider: UpstreamProvider | undefined;
    rm: UpstreamRm | undefined;
    app: UpstreamApp | undefined;
    model: string | undefined;
    rmOnly: boolean;
    counts: { cloud: number; edge: number; endpoint: number };
    externals: string[];
    runtime: string;
    runtimeFs: string;
    warnings: string[];
    infraOnly: boolean;
    cloudCores: number;
  },
): void {
  const { cloud, edge, endpoint } = a.counts;
  if (
    (a.rm === 'kubernetes' || a.rm === 'kubecontrol' || a.rm === 'kubeedge') &&
    !a.infraOnly &&
    cloud > 0 &&
    a.cloudCores < 2
  ) {
    // Upstream warned too; kubeadm's preflight checks refuse control planes with fewer than 2 CPUs.
    a.warnings.push(
      `cloud_cores = ${a.cloudCores}: the Kubernetes control plane needs >= 2 cores to work (kubeadm refuses fewer).`,
    );
  }
  const has = `this file has cloud_nodes = ${cloud}, edge_nodes = ${edge}, endpoint_nodes = ${endpoint}`;

  if (a.provider === 'baremetal') {
    // Upstream's check compared edge_nodes where it meant endpoint_nodes and so rejected every file.
    if (cloud !== 1 || edge !== 0 || endpoint < 1 || a.externals.length > 0) {
      r.issue(
        INF,
        'provider',
        `= baremetal needs exactly 1 cloud node, 0 edge nodes, >= 1 endpoint node and no external_physical_machines; ${has}`,
        'Adjust the node counts, or use provider = qemu.',
      );
    } else {
      a.warnings.push(
        "provider = baremetal: upstream's validation rejected every baremetal config (a bug); Continuum applies the intended rule (1 cloud, 0 edge, >= 1 endpoint) and runs on the local provider.",
      );
    }
  }
  if (a.infraOnly || a.rm === undefined) return;

  const rule = (ok: boolean, text: string, hint: string): void => {
    if (!ok) r.issue(BEN, 'resource_manager', `= ${a.rm} ${text}; ${has}`, hint);
  };
  switch (a.rm) {
    case 'kubernetes':
      rule(
        cloud >= 1 && edge === 0 && (cloud <= 1 || endpoint % (cloud - 1) === 0),
        'needs >= 1 cloud node (the first is the controller), 0 edge nodes, and endpoint_nodes a multiple of the cloud workers (cloud_nodes - 1)',
        'Use resource_manager = kubeedge for edge nodes, or adjust the node counts.',
      );
      break;
    case 'kubecontrol':
    case 'kube_kata':
      rule(
        cloud >= 2 && edge === 0 && endpoint % (cloud - 1) === 0,
        'needs >= 2 cloud nodes (controller + workers), 0 edge nodes, and endpoint_nodes a multiple of cloud_nodes - 1',
        'Adjust the node counts.',
      );
      if (a.rm === 'kube_kata' && a.runtime === 'kata-fc' && a.runtimeFs === 'overlayfs') {
        r.issue(
          BEN,
          'runtime_filesystem',
          '= overlayfs cannot be used with runtime = kata-fc',
          'Use runtime_filesystem = devmapper with kata-fc.',
        );
      }
      if (a.rm === 'kube_kata' && r.issues.length === 0) {
        r.issue(
          BEN,
          'resource_manager',
          `= kube_kata (Kubernetes with Kata Containers runtime ${a.runtime}) is not supported yet: no Continuum plugin provides Kata runtimes`,
          'Use resource_manager = kubecontrol (runc) for the deployment benchmark, or install a resource-manager plugin that supports Kata when one exists (continuum plugins:install <package>).',
        );
      }
      break;
    case 'kubeedge':
      rule(
        cloud === 1 && edge >= 1 && endpoint % edge === 0,
        'needs exactly 1 cloud node (the controller) and >= 1 edge node, with endpoint_nodes a multiple of edge_nodes',
        'Adjust the node counts, or use resource_manager = kubernetes for cloud-only deployments.',
      );
      break;
    case 'mist':
      rule(
        cloud === 0 && edge >= 1 && endpoint >= 1 && endpoint % edge === 0,
        'needs 0 cloud nodes, >= 1 edge node and >= 1 endpoint node, with endpoint_nodes a multiple of edge_nodes',
        'Adjust the node counts.',
      );
      break;
    case 'none':
      break;
  }

  if (a.model === 'openfaas') {
    if (a.rm !== 'kubernetes')
      r.issue(
        EXE,
        'model',
        `= openfaas needs resource_manager = kubernetes (this file has ${a.rm})`,
        'Set resource_manager = kubernetes, or remove [execution_model].',
      );
    if (!a.rmOnly && a.app !== 'image_classification') {
      r.issue(
        EXE,
        'model',
        `= openfaas needs application = image_classification (this file has ${a.app ?? 'none'})`,
        'Set application = image_classification.',
      );
    }
  }

  switch (a.app) {
    case 'image_classification':
      if (a.rm === 'kubecontrol')
        r.issue(
          BEN,
          'application',
          '= image_classification does not work with resource_manager = kubecontrol',
          'Use resource_manager = kubernetes, or application = empty.',
        );
      if (endpoint < 1)
        r.issue(
          BEN,
          'application',
          `= image_classification needs >= 1 endpoint node (endpoint_nodes = ${endpoint})`,
          'Set endpoint_nodes >= 1.',
        );
      break;
    case 'empty':
      if (a.rm !== 'kubecontrol')
        r.issue(
          BEN,
          'application',
          `= empty needs resource_manager = kubecontrol (this file has ${a.rm})`,
          'Set resource_manager = kubecontrol.',
        );
      break;
    case 'empty_kata':
      if (a.rm !== 'kube_kata')
        r.issue(
          BEN,
          'application',
          `= empty_kata needs resource_manager = kube_kata (this file has ${a.rm})`,
          'Set resource_manager = kube_kata.',
        );
      break;
    case 'mem_usage':
    case 'stress':
      // Upstream allowed only kubecontrol, which rejected its own kata experiment configs.
      if (a.rm !== 'kubecontrol' && a.rm !== 'kube_kata') {
        r.issue(
          BEN,
          'application',
          `= ${a.app} needs resource_manager = kubecontrol or kube_kata (this file has ${a.rm})`,
          'Set resource_manager = kubecontrol.',
        );
      } else if (a.rm === 'kube_kata') {
        a.warnings.push(
          `application = ${a.app} with resource_manager = kube_kata: upstream's check rejected this pairing (a bug, its own kata experiments use it); Continuum accepts it.`,
        );
      }
      break;
    case undefined:
      break;
  }
}
