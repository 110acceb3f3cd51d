#!/usr/bin/env node
// Offline installs, step 1 (on a machine WITH internet, Docker and Ansible): render the playbook that
// fills a bundle with every binary, manifest and image the install needs, and run it.
//
//   node packages/rm-kubernetes/scripts/fetch-bundle.js --dir /srv/continuum-bundle [--version v1.31] [--with kubeedge,openfaas] [--dry-run]
//
// Step 2: copy the directory next to the Continuum host and set `resourceManager.options.offlineBundle: <dir>`.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PINNED, parseKubeVersion, renderBundleFetch } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    version: { type: 'string', default: 'v1.31' },
    with: { type: 'string', default: '' },
    'dry-run': { type: 'boolean', default: false },
  },
});
if (values.dir === undefined) {
  console.error('usage: fetch-bundle.js --dir DIR [--version v1.31] [--with kubeedge,openfaas] [--dry-run]');
  process.exit(2);
}
const dir = resolve(values.dir);
mkdirSync(dir, { recursive: true });
const extraDownloads = [];
const extraImages = [];
const extras = values.with.split(',').filter(Boolean);
if (extras.includes('kubeedge')) {
  const { kubeedgeBundleExtras } = await import('@continuum/rm-kubeedge');
  const e = kubeedgeBundleExtras();
  extraDownloads.push(...e.downloads);
  extraImages.push(...e.images);
}
if (extras.includes('openfaas')) extraImages.push(PINNED.openfaas.gateway, PINNED.openfaas.faasNetes);
const playbook = await renderBundleFetch({
  kube: parseKubeVersion(values.version),
  bundleDir: dir,
  outFile: join(dir, 'fetch_bundle.yml'),
  extraDownloads,
  extraImages,
});
console.log(`rendered ${playbook}`);
if (values['dry-run']) {
  console.log(`run: ansible-playbook -i localhost, ${playbook}`);
  process.exit(0);
}
const r = spawnSync('ansible-playbook', ['-i', 'localhost,', playbook], { stdio: 'inherit' });
process.exit(r.status ?? 1);
