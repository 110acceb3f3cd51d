import { runTag } from '@continuum/plugin-api';
import type { Tier } from '@continuum/plugin-api';

/**
 * Names and labels of everything the provider creates. Instances and disks carry labels; VPCs,
 * subnets and firewall rules cannot, so they carry the run id in their description and the run
 * tag in their name, and `cleanByLabel` finds them by both.
 */
export const LABEL_RUN = 'continuum-run';
export const LABEL_NODE = 'continuum-node';
export const LABEL_TIER = 'continuum-tier';
export const LABEL_MANAGED = 'managed-by';
export const MANAGED_VALUE = 'continuum';
export const NAME_PREFIX = 'continuum-';
const DESCRIPTION_PREFIX = 'continuum run ';

/** A label value: lowercase letters, digits, `_` and `-`, at most 63 characters. */
export function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')
    .slice(0, 63);
}

/** A resource name: `[a-z]([-a-z0-9]{0,61}[a-z0-9])?`. */
export function resourceName(...parts: string[]): string {
  const raw = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
  return /^[a-z]/.test(raw) ? raw : `c${raw}`.slice(0, 63);
}

export function networkName(runId: string, override?: string): string {
  return override ?? resourceName('continuum', runTag(runId));
}

export function subnetName(runId: string, tier: Tier): string {
  return resourceName('continuum', runTag(runId), tier);
}

export function firewallName(runId: string, purpose: 'internal' | 'ssh'): string {
  return resourceName('continuum', runTag(runId), `allow-${purpose}`);
}

/** `cloud_controller` → `continuum-k3x9-cloud-controller`; the guest hostname is the same. */
export function instanceName(runId: string, node: string): string {
  return resourceName('continuum', runTag(runId), node);
}

export function runDescription(runId: string): string {
  return `${DESCRIPTION_PREFIX}${runId}`;
}

/** The run id recorded in a description written by runDescription, if any. */
export function runIdFromDescription(description: string | null | undefined): string | undefined {
  if (typeof description !== 'string' || !description.startsWith(DESCRIPTION_PREFIX)) return undefined;
  return description.slice(DESCRIPTION_PREFIX.length).trim() || undefined;
}

export function runLabels(runId: string): Record<string, string> {
  return { [LABEL_RUN]: labelValue(runId), [LABEL_MANAGED]: MANAGED_VALUE };
}
