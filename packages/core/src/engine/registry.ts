import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Capability, Kind, PluginManifest } from '@continuum/plugin-api';
import {
  API_VERSION,
  CAPABILITY_BRAND,
  ContinuumError,
  isCapability,
  KIND_ORDER,
} from '@continuum/plugin-api';

/** API versions this core can drive (current and, later, the previous one). */
export const SUPPORTED_API_VERSIONS: readonly number[] = [API_VERSION];

/** The parts of an oclif plugin the registry reads (oclif's Plugin satisfies it). */
export interface PluginLike {
  name: string;
  version: string;
  type: string;
  root: string;
  pjson: object;
}

export interface CapabilityEntry {
  kind: Kind;
  name: string;
  entry: string;
  description: string | undefined;
  pluginName: string;
  pluginVersion: string;
  /** oclif plugin type: link | user | dev | core */
  pluginType: string;
  root: string;
  apiVersion: number;
  /** Set when the plugin cannot be used with this core (wrong apiVersion). */
  rejected?: string;
}

/** Winner order when two plugins provide the same kind/name: a linked one beats a user-installed one beats a bundled one. */
const TYPE_RANK: Record<string, number> = { link: 0, user: 1, dev: 2, core: 3 };

/** Where an unknown capability would come from, by naming convention. */
export const PACKAGE_PREFIX: Record<Kind, string> = {
  provider: '@continuum/provider-',
  'operating-service': '@continuum/os-',
  'resource-manager': '@continuum/rm-',
  application: '@continuum/app-',
  monitor: '@continuum/monitor-',
};

const KINDS = new Set<string>(KIND_ORDER);

export class Registry {
  readonly entries: CapabilityEntry[] = [];
  readonly warnings: string[] = [];
  private readonly loaded = new Map<string, Promise<Capability>>();

  /** Read every plugin's package.json `continuum` field. No plugin code runs here. */
  constructor(plugins: readonly PluginLike[]) {
    const candidates: CapabilityEntry[] = [];
    for (const plugin of plugins) {
      const manifest = (plugin.pjson as { continuum?: unknown }).continuum as PluginManifest | undefined;
      if (manifest === undefined || manifest === null || typeof manifest !== 'object') continue;
      const id = `${plugin.name}@${plugin.version}`;
      if (!Array.isArray(manifest.capabilities)) {
        this.warnings.push(
          `Plugin ${id}: package.json "continuum.capabilities" must be a list; plugin ignored.`,
        );
        continue;
      }
      const rejected = SUPPORTED_API_VERSIONS.includes(manifest.apiVersion)
        ? undefined
        : `Plugin ${id} is built for Continuum plugin API version ${String(manifest.apiVersion)}, but this core supports apiVersion ${SUPPORTED_API_VERSIONS.join(', ')}.`;
      for (const cap of manifest.capabilities) {
        if (!KINDS.has(cap.kind) || typeof cap.name !== 'string' || typeof cap.entry !== 'string') {
          this.warnings.push(
            `Plugin ${id}: capability ${JSON.stringify(cap)} needs kind (${KIND_ORDER.join('|')}), name and entry; ignored.`,
          );
          continue;
        }
        candidates.push({
          kind: cap.kind,
          name: cap.name,
          entry: cap.entry,
          description: cap.description,
          pluginName: plugin.name,
          pluginVersion: plugin.version,
          pluginType: plugin.type,
          root: plugin.root,
          apiVersion: manifest.apiVersion,
          ...(rejected !== undefined ? { rejected } : {}),
        });
      }
    }
    const rank = (e: CapabilityEntry): number => TYPE_RANK[e.pluginType] ?? 4;
    candidates.sort((a, b) => rank(a) - rank(b));
    for (const c of candidates) {
      const existing = this.entries.find((e) => e.kind === c.kind && e.name === c.name);
      if (existing === undefined) {
        this.entries.push(c);
      } else if (existing.pluginName !== c.pluginName) {
        this.warnings.push(
          `${c.kind} "${c.name}" is provided by ${existing.pluginName}@${existing.pluginVersion} (${existing.pluginType}) and ${c.pluginName}@${c.pluginVersion} (${c.pluginType}); using ${existing.pluginName}.`,
        );
      }
    }
    this.entries.sort(
      (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name),
    );
  }

  find(kind: Kind, name: string): CapabilityEntry | undefined {
    return this.entries.find((e) => e.kind === kind && e.name === name);
  }

  /** The entry for a `use:` name, or a ContinuumError saying which package to install. */
  resolve(kind: Kind, name: string): CapabilityEntry {
    const entry = this.find(kind, name);
    if (entry === undefined) {
      const available = this.entries
        .filter((e) => e.kind === kind && e.rejected === undefined)
        .map((e) => e.name);
      throw new ContinuumError('UNKNOWN_CAPABILITY', `No installed plugin provides ${kind} "${name}".`, {
        hint: `Install it: continuum plugins:install ${PACKAGE_PREFIX[kind]}${name}${available.length > 0 ? ` (installed ${kind}s: ${available.join(', ')})` : ''}`,
        details: { kind, name, package: `${PACKAGE_PREFIX[kind]}${name}` },
      });
    }
    if (entry.rejected !== undefined) {
      throw new ContinuumError('PLUGIN_API_VERSION', entry.rejected, {
        hint: `Install a version of ${entry.pluginName} built for apiVersion ${API_VERSION} (continuum plugins:install ${entry.pluginName}@latest), or a Continuum core that supports apiVersion ${entry.apiVersion}.`,
        details: {
          plugin: `${entry.pluginName}@${entry.pluginVersion}`,
          apiVersion: entry.apiVersion,
          expected: API_VERSION,
        },
      });
    }
    return entry;
  }

  /** `import()` an entry (once) and check that it is the capability its package.json declares. */
  load(entry: CapabilityEntry): Promise<Capability> {
    const key = `${entry.kind}/${entry.name}`;
    let promise = this.loaded.get(key);
    if (promise === undefined) {
      promise = importCapability(entry);
      this.loaded.set(key, promise);
    }
    return promise;
  }
}

async function importCapability(entry: CapabilityEntry): Promise<Capability> {
  const id = `${entry.pluginName}@${entry.pluginVersion}`;
  const url = pathToFileURL(join(entry.root, entry.entry)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new ContinuumError(
      'PLUGIN_LOAD',
      `Plugin ${id} failed to load ${entry.kind} "${entry.name}" from ${entry.entry}: ${(error as Error).message}`,
      {
        hint: `Reinstall the plugin (continuum plugins:install ${entry.pluginName}) or report it to its authors.`,
        cause: error,
      },
    );
  }
  const cap = mod['default'];
  const problem = !isCapability(cap)
    ? `its default export is not a capability (expected an object made with define${entry.kind === 'operating-service' ? 'OperatingService' : entry.kind === 'resource-manager' ? 'ResourceManager' : entry.kind[0]?.toUpperCase() + entry.kind.slice(1)}() with brand "${CAPABILITY_BRAND}")`
    : cap.kind !== entry.kind || cap.name !== entry.name
      ? `it exports ${cap.kind} "${cap.name}" but package.json declares ${entry.kind} "${entry.name}"`
      : cap.apiVersion !== entry.apiVersion
        ? `it was built with plugin API ${String(cap.apiVersion)} but package.json declares apiVersion ${entry.apiVersion}`
        : undefined;
  if (problem !== undefined) {
    throw new ContinuumError(
      'PLUGIN_ENTRY_INVALID',
      `Plugin ${id}: ${entry.entry} is not usable: ${problem}.`,
      {
        hint: `This is a packaging bug in ${entry.pluginName}; report it to its authors.`,
      },
    );
  }
  return cap as Capability;
}
