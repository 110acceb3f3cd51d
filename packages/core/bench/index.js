#!/usr/bin/env node
// Startup cost of the CLI: `continuum --help` and `continuum capabilities` (every first-party
// plugin present, as in the monorepo) against the floor `node -e 0`. Median of 10 runs each,
// interleaved so background load hits all variants alike. Printed, not asserted.
// Run after `npm run build` (which also writes the oclif manifests).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'run.js');
const runs = Number(process.env.BENCH_RUNS ?? 10);
const home = mkdtempSync(join(tmpdir(), 'continuum-bench-'));
const env = {
  ...process.env,
  NODE_ENV: 'production',
  XDG_DATA_HOME: join(home, 'data'),
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_CACHE_HOME: join(home, 'cache'),
};

const variants = {
  'node -e 0': [process.execPath, '-e', '0'],
  'continuum --help': [process.execPath, bin, '--help'],
  'continuum capabilities': [process.execPath, bin, 'capabilities'],
};

function timeOnce(argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout.toString() };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

try {
  const caps = timeOnce(variants['continuum capabilities']).stdout;
  const firstParty = [...caps.matchAll(/^\S+\s+(\S+)\s+@continuum\/\S+@/gm)].map((m) => m[1]);
  const firstPartyList = JSON.parse(
    readFileSync(join(root, 'first-party', 'package.json'), 'utf8'),
  ).dependencies;
  const packages = ['core', ...Object.keys(firstPartyList).map((n) => n.replace('@continuum/', ''))];
  const manifests = packages.filter((p) => existsSync(join(root, '..', p, 'oclif.manifest.json')));
  for (const argv of Object.values(variants)) timeOnce(argv); // warm the file cache
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < runs; i++)
    for (const [name, argv] of Object.entries(variants)) samples[name].push(timeOnce(argv).ms);
  const floor = median(samples['node -e 0']);
  console.log(
    `continuum startup (median of ${runs}, wall ms; first-party capabilities present: ${firstParty.join(', ') || 'none'}; manifests: ${manifests.join(', ') || 'none'})`,
  );
  for (const [name, xs] of Object.entries(samples)) {
    const m = median(xs);
    const ratio = m / floor;
    const budget = name === 'node -e 0' ? '' : `  ${ratio <= 4 ? 'within' : 'OVER'} the 4x budget`;
    console.log(
      `  ${name.padEnd(24)} ${m.toFixed(0).padStart(6)} ms  min ${Math.min(...xs)
        .toFixed(0)
        .padStart(5)} ms  ${ratio.toFixed(2)}x node -e 0${budget}`,
    );
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
