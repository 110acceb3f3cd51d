import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec.js';
import { render } from '../templates.js';

/** Copy-on-write overlay on the (read-only, shared) base image: ~0.01 s and ~200 KiB per VM. */
export async function createOverlay(base: string, overlay: string, baseFormat = 'qcow2'): Promise<void> {
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', baseFormat, '-b', base, overlay]);
}

export interface SeedInput {
  name: string;
  hostname: string;
  publicKey: string;
  interface: string;
  mac: string;
  address: string;
  prefixLength: number;
  gateway: string | undefined;
}

/** Renders the NoCloud files and packs them with cloud-localds (ISO label `cidata`). */
export async function createSeed(dir: string, seedFile: string, input: SeedInput): Promise<void> {
  const userData = join(dir, `${input.name}.user-data`);
  const metaData = join(dir, `${input.name}.meta-data`);
  const networkConfig = join(dir, `${input.name}.network-config`);
  writeFileSync(userData, await render('user-data.njk', input));
  writeFileSync(metaData, await render('meta-data.njk', input));
  writeFileSync(
    networkConfig,
    await render('network-config.njk', { ...input, gateway: input.gateway ?? '' }),
  );
  await run('cloud-localds', ['-N', networkConfig, seedFile, userData, metaData]);
}
