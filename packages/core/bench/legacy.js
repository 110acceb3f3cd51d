#!/usr/bin/env node
// Upstream .cfg compatibility figures (run after `npm run build`, via `npm run bench`):
//  1. in-process: load + resolve (INI parse, upstream semantics, native config, plan) of every
//     shipped legacy file — one pass, median of many passes;
//  2. end to end: `continuum validate <file>` for every shipped file (one process each), total wall time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';

const coreDir = new URL('..', import.meta.url).pathname;
const fixtures = join(coreDir, 'test/legacy/fixtures');
const legacyEntry = join(coreDir, 'dist/legacy/index.js');
if (!existsSync(legacyEntry)) {
  console.log('packages/core is not built (dist/legacy missing): run `npm run build` first');
  process.exit(1);
}
const { loadLegacyConfigDetailed, legacyPlan } = await import(legacyEntry);

function cfgFiles(dir) {
  return readdirSync(dir)
    .flatMap((name) => {
      const full = join(dir, name);
      return statSync(full).isDirectory() ? cfgFiles(full) : name.endsWith('.cfg') ? [full] : [];
    })
    .sort();
}
const files = cfgFiles(fixtures);

async function onePass() {
  let accepted = 0;
  const started = performance.now();
  for (const file of files) {
    try {
      const r = await loadLegacyConfigDetailed(file);
      legacyPlan(r.config, r.upstream);
      accepted++;
    } catch (err) {
      if (err?.name !== 'ContinuumError') throw err;
    }
  }
  return { ms: performance.now() - started, accepted };
}

const first = await onePass();
const passes = [];
for (let i = 0; i < 50; i++) passes.push((await onePass()).ms);
passes.sort((a, b) => a - b);
const median = passes[Math.floor(passes.length / 2)];
console.log(
  `legacy .cfg files: ${files.length} (${first.accepted} accepted, ${files.length - first.accepted} rejected with a message)`,
);
console.log(
  `load+resolve all files in-process: first pass ${first.ms.toFixed(1)} ms, median of 50 passes ${median.toFixed(2)} ms (${(median / files.length).toFixed(3)} ms per file)`,
);

// End to end through the CLI, if the validate command is built.
const bin = join(coreDir, 'bin/run.js');
if (!existsSync(join(coreDir, 'dist/commands/validate.js'))) {
  console.log('continuum validate: not built (dist/commands/validate.js missing), end-to-end timing skipped');
  process.exit(0);
}
const home = mkdtempSync(join(tmpdir(), 'continuum-bench-legacy-'));
const env = {
  ...process.env,
  XDG_DATA_HOME: join(home, 'data'),
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_CACHE_HOME: join(home, 'cache'),
  OCLIF_DISABLE_LINKED_ESM_WARNING: '1',
};
const exitCodes = new Map();
const started = performance.now();
for (const file of files) {
  const r = spawnSync(process.execPath, [bin, 'validate', file], { env, cwd: home, encoding: 'utf8' });
  const code = r.status ?? -1;
  exitCodes.set(code, [...(exitCodes.get(code) ?? []), relative(fixtures, file)]);
}
const total = performance.now() - started;
rmSync(home, { recursive: true, force: true });
console.log(
  `continuum validate on all ${files.length} legacy files: total ${(total / 1000).toFixed(2)} s (${(total / files.length).toFixed(0)} ms per file, one process each)`,
);
for (const [code, names] of [...exitCodes].sort((a, b) => a[0] - b[0])) {
  console.log(
    `  exit ${code}: ${names.length} file(s)${code === 0 ? '' : `: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', ...' : ''}`}`,
  );
}
