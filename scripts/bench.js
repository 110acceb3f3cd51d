#!/usr/bin/env node
// Runs every package's benchmark script (packages/*/bench/*.js) one after another and prints
// their figures. Speed targets live here, never in unit tests. `npm run bench -- <filter>` runs
// only the scripts whose path contains <filter>.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2];
const scripts = [];
for (const dir of ['packages', 'examples']) {
  for (const pkg of readdirSync(join(root, dir)).sort()) {
    const benchDir = join(root, dir, pkg, 'bench');
    if (!existsSync(benchDir)) continue;
    for (const file of readdirSync(benchDir).sort()) {
      if (file.endsWith('.js')) scripts.push(join(dir, pkg, 'bench', file));
    }
  }
}
let failed = 0;
for (const script of scripts.filter((s) => filter === undefined || s.includes(filter))) {
  process.stdout.write(`\n=== ${script} ===\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(root, script)], { stdio: 'inherit', cwd: root });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed += 1;
    process.stdout.write(`--- ${script} FAILED (exit ${result.status}) after ${seconds} s\n`);
  } else {
    process.stdout.write(`--- ${script} done in ${seconds} s\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
