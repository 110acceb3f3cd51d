// When the CLI runs from the monorepo (or any install where the first-party plugins are
// resolvable next to it), load them as oclif "core" plugins, so `node packages/core/bin/run.js`
// finds provider-local, os-mqtt and app-image-classification without `plugins link`.
// A published @continuum/core does not ship first-party/, so nothing extra is loaded there:
// users install the plugins they need with `continuum plugins:install`.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export function loadOptions(binUrl) {
  const root = dirname(dirname(fileURLToPath(binUrl)));
  const options = { root };
  if (process.env.CONTINUUM_NO_FIRST_PARTY === '1') return options;
  const dir = join(root, 'first-party');
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return options;
  const require = createRequire(file);
  const names = Object.keys(JSON.parse(readFileSync(file, 'utf8')).dependencies ?? {}).filter((name) => {
    try {
      require.resolve(`${name}/package.json`);
      return true;
    } catch {
      return false;
    }
  });
  if (names.length > 0) options.pluginAdditions = { core: names, path: dir };
  return options;
}
