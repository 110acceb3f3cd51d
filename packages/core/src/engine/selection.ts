import type { Capability, Kind } from '@continuum/plugin-api';
import type { ContinuumConfig, Selection } from './config-schema.js';
import type { CapabilityEntry } from './registry.js';

/** A capability the config selects, with where in the config it was selected. */
export interface Selected {
  kind: Kind;
  name: string;
  /** Config path of the selection, e.g. ['services', 0]. */
  path: (string | number)[];
  entry: CapabilityEntry;
  cap: Capability;
  /** Validated options (the capability schema's output). */
  options: unknown;
}

/** Every `use:` in the config, in pipeline kind order. */
export function selectionsOf(
  config: Partial<ContinuumConfig>,
): { kind: Kind; path: (string | number)[]; selection: Selection }[] {
  const out: { kind: Kind; path: (string | number)[]; selection: Selection }[] = [];
  if (config.provider !== undefined)
    out.push({ kind: 'provider', path: ['provider'], selection: config.provider });
  (config.services ?? []).forEach((s, i) =>
    out.push({ kind: 'operating-service', path: ['services', i], selection: s }),
  );
  if (config.resourceManager !== undefined)
    out.push({ kind: 'resource-manager', path: ['resourceManager'], selection: config.resourceManager });
  (config.monitors ?? []).forEach((s, i) =>
    out.push({ kind: 'monitor', path: ['monitors', i], selection: s }),
  );
  if (config.application !== undefined)
    out.push({ kind: 'application', path: ['application'], selection: config.application });
  return out;
}

export const stepId = (s: { kind: Kind; name: string }): string => `${s.kind}/${s.name}`;
