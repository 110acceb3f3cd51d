import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { ContinuumError } from '@continuum/plugin-api';
import { yamlLocator, type SourceLocator } from './source-map.js';

export interface LoadedConfig {
  /** Parsed but not yet validated. */
  raw: unknown;
  filepath: string;
  format: 'yaml' | 'json' | 'js' | 'ts' | 'package.json' | 'cfg';
  locator: SourceLocator | undefined;
  warnings: string[];
  /** For .cfg imports: upstream keys without a direct equivalent. */
  notes: { path: string; note: string }[];
}

export const SEARCH_PLACES = [
  'continuum.config.yaml',
  'continuum.config.yml',
  'continuum.config.json',
  'continuum.config.ts',
  'continuum.config.mjs',
  'continuum.config.js',
  '.continuumrc',
  '.continuumrc.yaml',
  '.continuumrc.yml',
  '.continuumrc.json',
  '.continuumrc.ts',
  '.continuumrc.mjs',
  '.continuumrc.js',
  'package.json',
];

type LegacyLoader = (file: string) => Promise<{
  config: Record<string, unknown>;
  warnings: string[];
  notes: { path: string; note: string }[];
}>;

async function loadLegacy(file: string): Promise<LoadedConfig> {
  // Resolved at runtime: the .cfg importer lives in ../legacy/ and is maintained separately.
  const specifier = '../legacy/index.js';
  let loader: LegacyLoader;
  try {
    const mod = (await import(specifier)) as { loadLegacyConfig?: LegacyLoader };
    if (typeof mod.loadLegacyConfig !== 'function') throw new Error('loadLegacyConfig is not exported');
    loader = mod.loadLegacyConfig;
  } catch (error) {
    throw new ContinuumError(
      'CONFIG_LOAD',
      `Cannot read upstream .cfg files in this build: ${(error as Error).message}`,
      {
        hint: 'Convert the file by hand to continuum.config.yaml, or use a Continuum release that includes the .cfg importer.',
      },
    );
  }
  const result = await loader(file);
  return {
    raw: result.config,
    filepath: file,
    format: 'cfg',
    locator: undefined,
    warnings: result.warnings,
    notes: result.notes,
  };
}

function yamlParse(filepath: string, content: string): unknown {
  // Lazy: the yaml package is only needed when a YAML config is read.
  return import('yaml')
    .then(({ parse }) => parse(content, { prettyErrors: true }) as unknown)
    .catch((error: unknown) => {
      throw new ContinuumError('CONFIG_LOAD', `${filepath}: not valid YAML: ${(error as Error).message}`, {
        hint: 'Fix the YAML syntax at the line shown.',
      });
    });
}

function formatOf(filepath: string): LoadedConfig['format'] {
  const ext = extname(filepath).toLowerCase();
  if (filepath.endsWith('package.json')) return 'package.json';
  if (ext === '.json') return 'json';
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return 'js';
  return 'yaml';
}

/**
 * Find and read the config: an explicit path (YAML, JSON, TS/JS module, upstream .cfg) or, without
 * one, the first of SEARCH_PLACES in `cwd` (cosmiconfig). Only parses; validation is separate.
 */
export async function loadConfigFile(path: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  if (path !== undefined) {
    const filepath = isAbsolute(path) ? path : resolve(cwd, path);
    try {
      readFileSync(filepath);
    } catch (error) {
      throw new ContinuumError(
        'CONFIG_NOT_FOUND',
        `Config file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        {
          hint: 'Check the path; `continuum validate <file>` accepts .yaml, .json, .ts and upstream .cfg files.',
        },
      );
    }
    if (extname(filepath).toLowerCase() === '.cfg') return loadLegacy(filepath);
  }
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('continuum', {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'none',
    loaders: { '.yaml': yamlParse, '.yml': yamlParse, noExt: yamlParse },
    cache: false,
  });
  let result: Awaited<ReturnType<typeof explorer.load>>;
  try {
    result = path !== undefined ? await explorer.load(resolve(cwd, path)) : await explorer.search(cwd);
  } catch (error) {
    if (error instanceof ContinuumError) throw error;
    throw new ContinuumError(
      'CONFIG_LOAD',
      `Cannot load config ${path ?? `from ${cwd}`}: ${(error as Error).message}`,
      {
        hint: 'Fix the syntax error above; YAML, JSON and TypeScript configs are accepted.',
      },
    );
  }
  if (result === null) {
    throw new ContinuumError('CONFIG_NOT_FOUND', `No Continuum config found in ${cwd}.`, {
      hint: `Pass a file (continuum run my.yaml) or create one of: ${SEARCH_PLACES.slice(0, 4).join(', ')}.`,
    });
  }
  if (result.isEmpty === true || result.config === undefined || result.config === null) {
    throw new ContinuumError('CONFIG_INVALID', `Config file ${result.filepath} is empty.`, {
      hint: 'Start from examples/local/continuum.config.yaml.',
    });
  }
  const format = formatOf(result.filepath);
  if (
    format === 'package.json' &&
    typeof result.config === 'object' &&
    'capabilities' in (result.config as object)
  ) {
    // In a plugin's own directory, package.json "continuum" is the plugin declaration, not a config.
    throw new ContinuumError(
      'CONFIG_NOT_FOUND',
      `No Continuum config found in ${cwd} (package.json "continuum" there declares plugin capabilities).`,
      {
        hint: 'Pass a config file: continuum run path/to/continuum.config.yaml',
      },
    );
  }
  let locator: SourceLocator | undefined;
  if (format === 'yaml' || format === 'json')
    locator = yamlLocator(result.filepath, readFileSync(result.filepath, 'utf8'));
  // A TS/JS module may export a function or a promise; cosmiconfig returns the default export.
  let raw: unknown = result.config;
  if (typeof raw === 'function') raw = await (raw as () => unknown)();
  return { raw, filepath: result.filepath, format, locator, warnings: [], notes: [] };
}
