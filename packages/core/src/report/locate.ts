import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** A run given as an id (or `current`, or nothing) under --run-dir, or as a path to a run directory. */
export async function locateRun(
  baseDir: string,
  arg: string | undefined,
): Promise<{ id: string; dir: string }> {
  if (arg !== undefined && arg !== 'current' && existsSync(join(resolve(arg), 'results.json')))
    return { id: basename(resolve(arg)), dir: resolve(arg) };
  const { resolveRunDir } = await import('../engine/run-engine.js');
  return resolveRunDir(baseDir, arg === 'current' ? undefined : arg);
}
