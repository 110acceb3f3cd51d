#!/usr/bin/env node
// Compiles the userspace delay relay (native/continuum-relay.c) into dist/native/. Linux only: on
// other platforms the provider runs nodes as plain processes and never needs it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'continuum-relay.c');
const output = join(root, 'dist', 'native', 'continuum-relay');

if (process.platform !== 'linux') {
  console.log('provider-local: not Linux, skipping the native relay build');
  process.exit(0);
}
try {
  if (statSync(output).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
} catch {
  // not built yet
}
mkdirSync(dirname(output), { recursive: true });
const cc = process.env.CC || 'cc';
const res = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-std=c11', '-o', output, source, '-lm'], {
  stdio: 'inherit',
});
if (res.error || res.status !== 0) {
  console.error(
    `provider-local: could not compile ${source} with "${cc}"` +
      (res.error ? ` (${res.error.message})` : '') +
      '.\nInstall a C compiler (apt-get install gcc libc6-dev) or set CC; without it the local provider cannot' +
      ' emulate link delay on kernels that lack netem.',
  );
  process.exit(1);
}
