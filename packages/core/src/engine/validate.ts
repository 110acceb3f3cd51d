import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigIssue, Kind, Topology } from '@continuum/plugin-api';
import { ContinuumError, formatPath, isContinuumError, validateWithSchema } from '@continuum/plugin-api';
import type { z } from 'zod';
import { configSchema, selectionSchema, type ContinuumConfig } from './config-schema.js';
import type { LoadedConfig } from './config-loader.js';
import { makeContext, memoryStore } from './context.js';
import { hostInfo } from './host.js';
import type { Output } from './output.js';
import type { Registry } from './registry.js';
import { selectionsOf, type Selected } from './selection.js';
import { resolveTopology } from './topology.js';

export interface Issue extends ConfigIssue {
  hint?: string;
}

export interface ValidatedConfig {
  config: ContinuumConfig;
  topology: Topology;
  selected: Selected[];
  warnings: string[];
}

type Path = (string | number)[];

function zodIssues(error: z.ZodError): { path: Path; message: string }[] {
  return error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (i.code === 'unrecognized_keys') {
      return {
        path: [...path, ...(i.keys.length === 1 ? [i.keys[0] as string] : [])],
        message: `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')} (not allowed here)`,
      };
    }
    return { path, message: i.message };
  });
}

const CONFIG_ROOTS = new Set([
  'infrastructure',
  'provider',
  'services',
  'resourceManager',
  'application',
  'monitors',
  'run',
]);

export interface ValidateOptions {
  /**
   * Report capabilities' own validate() errors (host capacity, missing binaries, images) as
   * warnings: `plan` describes what a valid config would create even on a machine that could not
   * run it. Schema errors stay errors.
   */
  hostChecksAsWarnings?: boolean;
}

/**
 * Validate a loaded config completely: the core skeleton (zod), each selected capability's options
 * (its own Standard Schema), then each capability's validate(). Every issue is collected; nothing
 * is created. Throws CONFIG_INVALID with `details.issues` when anything is wrong.
 */
export async function validateConfig(
  loaded: LoadedConfig,
  registry: Registry,
  output: Output,
  options: ValidateOptions = {},
): Promise<ValidatedConfig> {
  const issues: Issue[] = [];
  const warnings = [...loaded.warnings, ...registry.warnings];
  const add = (path: readonly PropertyKey[], message: string, hint?: string): void => {
    const location = loaded.locator?.locate(path);
    issues.push({
      path: formatPath(path),
      message,
      ...(location !== undefined ? { location } : {}),
      ...(hint !== undefined ? { hint } : {}),
    });
  };

  const parsed = configSchema.safeParse(loaded.raw);
  if (!parsed.success) for (const i of zodIssues(parsed.error)) add(i.path, i.message);

  // Even when the skeleton is broken, check every selection that is itself well-formed, so the
  // user sees unknown plugins and bad options in the same report.
  const selections = parsed.success ? selectionsOf(parsed.data) : selectionsFromRaw(loaded.raw);
  const selected: Selected[] = [];
  for (const { kind, path, selection } of selections) {
    let entry;
    try {
      entry = registry.resolve(kind, selection.use);
    } catch (error) {
      if (!isContinuumError(error)) throw error;
      add([...path, 'use'], error.message, error.hint);
      continue;
    }
    let cap;
    try {
      cap = await registry.load(entry);
    } catch (error) {
      if (!isContinuumError(error)) throw error;
      add([...path, 'use'], error.message, error.hint);
      continue;
    }
    let options: unknown = selection.options;
    if (cap.configSchema !== undefined) {
      const result = await validateWithSchema(cap.configSchema, selection.options, [...path, 'options']);
      if (!result.ok) {
        for (const i of result.issues) {
          const location = loaded.locator?.locate(pathFromString(i.path));
          issues.push({ ...i, ...(location !== undefined ? { location } : {}) });
        }
        continue;
      }
      options = result.value;
    } else if (Object.keys(selection.options).length > 0) {
      add([...path, 'options'], `${kind} "${selection.use}" takes no options`);
      continue;
    }
    selected.push({ kind, name: selection.use, path, entry, cap, options });
  }
  if (issues.length > 0 || !parsed.success) throw invalid(loaded, issues);

  const config = parsed.data;
  const rm = selected.find((s) => s.kind === 'resource-manager');
  const topology = resolveTopology(
    config,
    rm !== undefined && 'usesController' in rm.cap ? rm.cap.usesController : false,
  );

  // Capability checks without side effects (binaries, quotas, node-count rules).
  const scratch = mkdtempSync(join(tmpdir(), 'continuum-validate-'));
  try {
    const scope = {
      topology,
      run: { id: 'validate', dir: scratch, startedAt: new Date().toISOString(), configPath: loaded.filepath },
      host: hostInfo(),
      output,
      outputs: { infrastructure: undefined, services: {}, cluster: undefined },
      signal: () => AbortSignal.timeout(60_000),
      nodes: () => [],
      runner: () => undefined,
    };
    for (const s of selected) {
      if (s.cap.validate === undefined) continue;
      const ctx = makeContext(scope, s, s.options, memoryStore<unknown>());
      let diagnostics;
      try {
        diagnostics = await s.cap.validate(ctx);
      } catch (error) {
        const e = error as Error;
        add(
          s.path,
          `${s.kind} "${s.name}" could not validate its options: ${e.message}`,
          isContinuumError(error)
            ? error.hint
            : `This is a bug in ${s.entry.pluginName}@${s.entry.pluginVersion}.`,
        );
        continue;
      }
      for (const d of diagnostics) {
        // Plugins sometimes give paths relative to their own section (`options.image`): anchor those.
        const path =
          d.path === undefined
            ? s.path
            : CONFIG_ROOTS.has(d.path.split(/[.[]/)[0] ?? '')
              ? pathFromString(d.path)
              : [...s.path.filter((k) => k !== 'options'), ...pathFromString(d.path)];
        if (d.severity === 'error' && !options.hostChecksAsWarnings) add(path, d.message, d.hint);
        else if (d.severity === 'error')
          warnings.push(
            `would fail on this host: ${formatPath(path)}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
          );
        else warnings.push(`${formatPath(path)}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (issues.length > 0) throw invalid(loaded, issues);
  return { config, topology, selected, warnings };
}

function invalid(loaded: LoadedConfig, issues: Issue[]): ContinuumError {
  return new ContinuumError(
    'CONFIG_INVALID',
    `${loaded.filepath}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in the config.`,
    {
      hint: 'Fix every problem listed above, then run `continuum validate` again.',
      details: { file: loaded.filepath, issues },
    },
  );
}

function selectionsFromRaw(raw: unknown): ReturnType<typeof selectionsOf> {
  if (typeof raw !== 'object' || raw === null) return [];
  const r = raw as Record<string, unknown>;
  const out: ReturnType<typeof selectionsOf> = [];
  const one = (kind: Kind, path: Path, value: unknown): void => {
    const s = selectionSchema.safeParse(value);
    if (s.success) out.push({ kind, path, selection: s.data });
  };
  if (r['provider'] !== undefined) one('provider', ['provider'], r['provider']);
  if (Array.isArray(r['services']))
    r['services'].forEach((v: unknown, i) => one('operating-service', ['services', i], v));
  if (r['resourceManager'] !== undefined) one('resource-manager', ['resourceManager'], r['resourceManager']);
  if (Array.isArray(r['monitors']))
    r['monitors'].forEach((v: unknown, i) => one('monitor', ['monitors', i], v));
  if (r['application'] !== undefined) one('application', ['application'], r['application']);
  return out;
}

/** `services[0].options.port` → ['services', 0, 'options', 'port'] */
export function pathFromString(path: string): Path {
  if (path === '(root)') return [];
  const out: Path = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (m === null) {
      out.push(part);
      continue;
    }
    if (m[1] !== '' && m[1] !== undefined) out.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}
