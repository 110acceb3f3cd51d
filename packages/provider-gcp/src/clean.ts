import type { Logger } from '@continuum/plugin-api';
import { ComputeApi } from './gcp/compute-api.js';
import { classifyGcpError, toContinuumError } from './gcp/errors.js';
import { mapLimit } from './gcp/retry.js';
import {
  LABEL_MANAGED,
  LABEL_RUN,
  labelValue,
  MANAGED_VALUE,
  NAME_PREFIX,
  runIdFromDescription,
} from './naming.js';
import { regionOf } from './options.js';

export interface CleanOptions {
  project: string;
  zone: string;
  region?: string | undefined;
  /** Service-account key file; omitted: Application Default Credentials. */
  credentials?: string | undefined;
  /** Only this run's resources; omitted: every resource Continuum created in the project/zone. */
  runId?: string | undefined;
  apiEndpoint?: string | undefined;
  concurrency?: number;
  operationTimeoutMs?: number;
  log?: Logger;
  signal?: AbortSignal;
  /** Names known from the state file (deleted even if their labels/descriptions were lost). */
  known?: { instances?: string[]; firewalls?: string[]; subnetworks?: string[]; networks?: string[] };
  /** List what would be deleted without deleting. */
  dryRun?: boolean;
  /** Tests shorten the retry backoff. */
  retryBaseDelayMs?: number;
}

export interface CleanReport {
  instances: string[];
  disks: string[];
  firewalls: string[];
  subnetworks: string[];
  networks: string[];
  /** Per resource that could not be deleted. */
  errors: { resource: string; message: string; code: string }[];
}

/**
 * Delete everything a run created, found by label (instances, disks) and by the run id in the
 * description plus the `continuum-` name prefix (VPC, subnets, firewall rules cannot carry
 * labels), in dependency order: instances → leftover disks → firewall rules → subnets → VPC.
 * Works without the state file (`continuum clean --provider gcp`); not-found counts as deleted;
 * rate limits are retried by the API layer.
 */
export async function cleanByLabel(options: CleanOptions): Promise<CleanReport> {
  const api = new ComputeApi({
    project: options.project,
    zone: options.zone,
    region: regionOf({ zone: options.zone, region: options.region }),
    credentials: options.credentials,
    apiEndpoint: options.apiEndpoint,
    operationTimeoutMs: options.operationTimeoutMs ?? 300_000,
    ...(options.log ? { log: options.log } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.retryBaseDelayMs !== undefined ? { retryBaseDelayMs: options.retryBaseDelayMs } : {}),
  });
  try {
    return await cleanWith(api, options);
  } finally {
    await api.close();
  }
}

const matchesRun = (
  description: string | null | undefined,
  name: string | null | undefined,
  runId: string | undefined,
): boolean => {
  const owner = runIdFromDescription(description);
  if (owner === undefined || !(name ?? '').startsWith(NAME_PREFIX)) return false;
  return runId === undefined || owner === runId;
};

export async function cleanWith(api: ComputeApi, options: CleanOptions): Promise<CleanReport> {
  const log = options.log;
  const limit = options.concurrency ?? 8;
  const where = { project: api.project, zone: api.zone };
  const filter =
    options.runId !== undefined
      ? `labels.${LABEL_RUN} = "${labelValue(options.runId)}"`
      : `labels.${LABEL_MANAGED} = "${MANAGED_VALUE}"`;
  const report: CleanReport = {
    instances: [],
    disks: [],
    firewalls: [],
    subnetworks: [],
    networks: [],
    errors: [],
  };
  const union = (found: (string | null | undefined)[], known: string[] | undefined): string[] =>
    [
      ...new Set([...found.filter((n): n is string => typeof n === 'string' && n !== ''), ...(known ?? [])]),
    ].sort();

  const deleteAll = async (
    kind: keyof Omit<CleanReport, 'errors'>,
    names: string[],
    del: (name: string) => Promise<unknown>,
  ): Promise<void> => {
    if (names.length === 0) return;
    log?.progress(`deleting ${names.length} ${kind}`);
    if (options.dryRun) {
      report[kind].push(...names);
      return;
    }
    const results = await mapLimit(names, limit, async (name) => {
      try {
        await del(name);
      } catch (error) {
        if (classifyGcpError(error).kind !== 'not-found') throw error;
      }
    });
    results.forEach((r, i) => {
      const name = names[i] as string;
      if (r.status === 'fulfilled') report[kind].push(name);
      else {
        const err = toContinuumError(r.reason, `delete ${kind} ${name}`, where);
        report.errors.push({ resource: `${kind}/${name}`, message: err.message, code: err.code });
        log?.warn(err.message);
      }
    });
  };

  // Labels are project-wide: look in every zone, so a changed `zone` or a lost state misses nothing.
  const instances = await api.listInstancesAllZones(filter);
  const instanceZone = new Map(instances.map(({ zone, item }) => [item.name ?? '', zone]));
  await deleteAll(
    'instances',
    union(
      instances.map(({ item }) => item.name),
      options.known?.instances,
    ),
    (n) => api.deleteInstance(n, instanceZone.get(n) ?? api.zone),
  );
  // Boot disks auto-delete with their instance; a disk left over (instance creation failed half-way) is removed here.
  const deletedInstances = new Set(instances.map(({ item }) => item.name));
  // In a dry run the instances still exist: their boot disks go with them, so they are not leftovers.
  const disks = (await api.listDisksAllZones(filter)).filter(
    ({ item }) =>
      !(options.dryRun ?? false) ||
      !(item.users ?? []).some((u) => deletedInstances.has(u.split('/').at(-1))),
  );
  const diskZone = new Map(disks.map(({ zone, item }) => [item.name ?? '', zone]));
  await deleteAll(
    'disks',
    union(
      disks.map(({ item }) => item.name),
      [],
    ),
    (n) => api.deleteDisk(n, diskZone.get(n) ?? api.zone),
  );
  const firewalls = (await api.listFirewalls()).filter((f) =>
    matchesRun(f.description, f.name, options.runId),
  );
  await deleteAll(
    'firewalls',
    union(
      firewalls.map((f) => f.name),
      options.known?.firewalls,
    ),
    (n) => api.deleteFirewall(n),
  );
  const subnets = (await api.listSubnetworks()).filter((s) =>
    matchesRun(s.description, s.name, options.runId),
  );
  await deleteAll(
    'subnetworks',
    union(
      subnets.map((s) => s.name),
      options.known?.subnetworks,
    ),
    (n) => api.deleteSubnetwork(n),
  );
  const networks = (await api.listNetworks()).filter((n) => matchesRun(n.description, n.name, options.runId));
  await deleteAll(
    'networks',
    union(
      networks.map((n) => n.name),
      options.known?.networks,
    ),
    (n) => api.deleteNetwork(n),
  );
  return report;
}
