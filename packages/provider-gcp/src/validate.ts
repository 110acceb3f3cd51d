import type { Diagnostic, Topology } from '@continuum/plugin-api';
import { checkCredentialsFile } from './credentials.js';
import type { ComputeApi, MachineType, Quota } from './gcp/compute-api.js';
import { classifyGcpError, toContinuumError } from './gcp/errors.js';
import type { GcpOptions } from './options.js';
import type { GcpPlan } from './plan.js';

/** Quota need of a plan, by Compute quota metric. */
export function quotaNeeds(
  plan: GcpPlan,
  machines: ReadonlyMap<string, MachineType>,
  externalIps: boolean,
): { regional: Record<string, number>; project: Record<string, number> } {
  const regional: Record<string, number> = { INSTANCES: plan.instances.length };
  for (const i of plan.instances) {
    const cpus = machines.get(i.machineType)?.guestCpus ?? 0;
    regional['CPUS'] = (regional['CPUS'] ?? 0) + cpus;
    // Families with their own CPU quota (E2_CPUS, N2_CPUS, …); checked only when the region lists it.
    const family = i.machineType.split('-')[0]?.toUpperCase();
    if (family !== undefined) regional[`${family}_CPUS`] = (regional[`${family}_CPUS`] ?? 0) + cpus;
    const diskMetric = i.diskType === 'pd-standard' ? 'DISKS_TOTAL_GB' : 'SSD_TOTAL_GB';
    regional[diskMetric] = (regional[diskMetric] ?? 0) + i.diskGb;
  }
  if (externalIps) regional['IN_USE_ADDRESSES'] = plan.instances.length;
  return {
    regional,
    project: { NETWORKS: 1, SUBNETWORKS: plan.subnets.length, FIREWALLS: plan.firewalls.length },
  };
}

/** Shortfalls: quota metrics where limit - usage < need. Metrics absent from the list are skipped. */
export function quotaShortfalls(
  quotas: readonly Quota[] | null | undefined,
  needs: Record<string, number>,
): { metric: string; need: number; available: number; limit: number }[] {
  const out: { metric: string; need: number; available: number; limit: number }[] = [];
  for (const q of quotas ?? []) {
    const metric = q.metric ?? '';
    const need = needs[metric];
    if (need === undefined || need === 0) continue;
    const limit = Number(q.limit ?? 0);
    const available = limit - Number(q.usage ?? 0);
    if (available < need) out.push({ metric, need, available, limit });
  }
  return out;
}

/**
 * Checks before anything is created: plan feasibility, credentials file, then project, zone,
 * machine types, image and quotas through the API. Every problem is reported, not just the first.
 */
export async function validateGcp(
  api: ComputeApi,
  plan: GcpPlan,
  options: GcpOptions,
  topology: Topology,
): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = plan.problems.map((p) => ({
    severity: 'error',
    path: p.path,
    message: p.message,
    ...(p.hint ? { hint: p.hint } : {}),
  }));
  if (options.credentials !== undefined) {
    const problem = checkCredentialsFile(options.credentials);
    if (problem !== undefined)
      return [
        ...diagnostics,
        { severity: 'error', path: 'credentials', message: problem.message, hint: problem.hint },
      ];
  }
  if (options.sshSourceCidr === '0.0.0.0/0') {
    diagnostics.push({
      severity: 'warning',
      path: 'sshSourceCidr',
      message: 'SSH is opened to the whole internet (0.0.0.0/0).',
      hint: 'Use your own address, e.g. 203.0.113.7/32, or auto.',
    });
  }
  const fail = (path: string, doing: string, error: unknown): Diagnostic => {
    const err = toContinuumError(error, doing, { project: options.project, zone: options.zone });
    return { severity: 'error', path, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  };

  let project;
  try {
    project = await api.getProject();
  } catch (error) {
    // Without the project nothing else can be checked meaningfully.
    return [...diagnostics, fail('project', `read project ${options.project}`, error)];
  }
  const osLogin = project.commonInstanceMetadata?.items?.find(
    (i) => i.key?.toLowerCase() === 'enable-oslogin',
  )?.value;
  if (osLogin !== undefined && osLogin !== null && /^true$/i.test(osLogin)) {
    diagnostics.push({
      severity: 'warning',
      path: 'project',
      message: `project ${options.project} enables OS Login; the VMs turn it off for themselves (enable-oslogin=FALSE) so the run's SSH key works`,
      hint: 'If an organisation policy enforces OS Login (constraints/compute.requireOsLogin), SSH will fail: run from a project without it.',
    });
  }
  try {
    const zone = await api.getZone();
    if (zone.status !== undefined && zone.status !== null && zone.status !== 'UP') {
      diagnostics.push({
        severity: 'error',
        path: 'zone',
        message: `zone ${options.zone} is ${zone.status}`,
        hint: 'Pick another zone of the region.',
      });
    }
    const zoneRegion = zone.region?.split('/').at(-1);
    if (zoneRegion !== undefined && zoneRegion !== plan.region) {
      diagnostics.push({
        severity: 'error',
        path: 'region',
        message: `zone ${options.zone} belongs to ${zoneRegion}, not ${plan.region}`,
      });
    }
  } catch (error) {
    diagnostics.push(fail('zone', `read zone ${options.zone}`, error));
    return diagnostics;
  }

  const machines = new Map<string, MachineType>();
  const types = [...new Set(plan.instances.map((i) => i.machineType))];
  await Promise.all(
    types.map(async (type) => {
      const tier = plan.instances.find((i) => i.machineType === type)?.tier ?? 'cloud';
      try {
        const machine = await api.getMachineType(type);
        machines.set(type, machine);
        const spec = topology.tiers[tier];
        const cpus = machine.guestCpus ?? 0;
        const memMiB = machine.memoryMb ?? 0;
        if (
          spec.nodes > 0 &&
          (cpus !== spec.cores || Math.abs(memMiB - spec.memoryMiB) > spec.memoryMiB * 0.1)
        ) {
          diagnostics.push({
            severity: 'warning',
            path: `machineTypes.${tier}`,
            message: `${type} has ${cpus} vCPUs and ${memMiB} MiB, the ${tier} tier asks for ${spec.cores} cores and ${spec.memoryMiB} MiB; the machine type wins on GCP`,
            hint: `Pick a machine type that matches, or set ${tier} cores/memory to what ${type} has so results are labelled correctly.`,
          });
        }
      } catch (error) {
        const kind = classifyGcpError(error).kind;
        diagnostics.push(
          kind === 'not-found'
            ? {
                severity: 'error',
                path: `machineTypes.${tier}`,
                message: `machine type ${type} is not offered in zone ${options.zone}`,
                hint: 'List them with: gcloud compute machine-types list --zones ' + options.zone,
              }
            : fail(`machineTypes.${tier}`, `read machine type ${type}`, error),
        );
      }
    }),
  );
  try {
    const image = await api.getImageFromFamily(options.image.project, options.image.family);
    if (image.deprecated?.state === 'DEPRECATED') {
      diagnostics.push({
        severity: 'warning',
        path: 'image',
        message: `image family ${options.image.project}/${options.image.family} resolves to a deprecated image`,
      });
    }
  } catch (error) {
    diagnostics.push(
      classifyGcpError(error).kind === 'not-found'
        ? {
            severity: 'error',
            path: 'image.family',
            message: `image family ${options.image.project}/${options.image.family} does not exist`,
            hint: 'Use e.g. ubuntu-os-cloud/ubuntu-2404-lts-amd64 or debian-cloud/debian-12.',
          }
        : fail('image', 'read image family', error),
    );
  }

  const needs = quotaNeeds(plan, machines, options.externalIps);
  try {
    const region = await api.getRegion();
    for (const s of quotaShortfalls(region.quotas, needs.regional)) {
      diagnostics.push({
        severity: 'error',
        path: 'infrastructure',
        message: `quota ${s.metric} in ${plan.region}: the run needs ${s.need}, ${s.available} of ${s.limit} are free`,
        hint: 'Use fewer or smaller nodes, another region, or request more quota (IAM & Admin > Quotas).',
      });
    }
  } catch (error) {
    diagnostics.push(fail('region', `read region ${plan.region}`, error));
  }
  for (const s of quotaShortfalls(project.quotas, needs.project)) {
    diagnostics.push({
      severity: 'error',
      path: 'project',
      message: `project quota ${s.metric}: the run needs ${s.need}, ${s.available} of ${s.limit} are free`,
      hint: 'Delete unused VPCs/firewall rules (continuum clean --provider gcp removes leftovers of earlier runs) or request more quota.',
    });
  }
  return diagnostics;
}
