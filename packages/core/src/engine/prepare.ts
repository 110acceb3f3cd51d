import type { Output } from './output.js';
import type { Registry } from './registry.js';
import type { LoadedConfig } from './config-loader.js';
import type { ValidatedConfig, ValidateOptions } from './validate.js';

/** Load (cosmiconfig / .cfg) and fully validate a config; warnings go to the log. */
export async function loadAndValidate(
  path: string | undefined,
  registry: Registry,
  output: Output,
  options: ValidateOptions = {},
): Promise<{ loaded: LoadedConfig; validated: ValidatedConfig }> {
  const { loadConfigFile } = await import('./config-loader.js');
  const { validateConfig } = await import('./validate.js');
  const loaded = await loadConfigFile(path);
  const log = output.logger('core');
  log.debug(`config ${loaded.filepath} (${loaded.format})`);
  const validated = await validateConfig(loaded, registry, output, options);
  for (const w of validated.warnings) log.warn(w);
  return { loaded, validated };
}
