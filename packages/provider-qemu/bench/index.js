// Benchmarks for provider-qemu (plain ESM, run after build: `node bench/index.js`, as root).
// Prints: image build time, overlay creation, boot-to-SSH for 1 and 3 VMs in parallel, a whole
// provider "up" (1 cloud + 1 endpoint with links and the RTT check), and teardown time.
// Set CONTINUUM_BENCH_SKIP_3=1 to skip the 3-VM boot (it needs ~2 GiB and most of 2 cores).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveLinks } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import qemuProvider, { buildBaseImage } from '../dist/index.js';

if (process.getuid?.() !== 0) {
  console.log('provider-qemu bench: needs root (bridge, taps); skipped');
  process.exit(0);
}
const scratch = mkdtempSync(join(tmpdir(), 'cq-bench-'));
const secs = (ms) => (ms / 1000).toFixed(1);
const figures = [];
const report = (name, value, note = '') => {
  figures.push({ name, value, note });
  console.log(`${name.padEnd(48)} ${String(value).padStart(8)}  ${note}`);
};

function ctxFor(tiers, middleIP, emulation = false) {
  const ctx = createTestContext({
    config: { prefixIP: '10.232', middleIP, accel: 'auto' },
    tiers,
    emulation,
    runDir: mkdtempSync(join(scratch, 'run-')),
  });
  Object.assign(ctx.host, { isRoot: true });
  if (emulation) ctx.topology.network.links = resolveLinks('4g', {}, ['cloud', 'endpoint']);
  return ctx;
}

async function upDown(label, tiers, middleIP, emulation) {
  const ctx = ctxFor(tiers, middleIP, emulation);
  const t0 = Date.now();
  try {
    const infra = await qemuProvider.provision(ctx);
    const up = Date.now() - t0;
    report(
      `${label}: provision (create → all ssh-ready${emulation ? ' → links → RTT check' : ''})`,
      `${secs(up)} s`,
      `accel=${infra.details.acceleration}`,
    );
    const boot = infra.details.bootToSshMs;
    report(
      `${label}: boot-to-SSH, slowest VM`,
      `${secs(Math.max(...Object.values(boot)))} s`,
      JSON.stringify(boot),
    );
    if (emulation)
      for (const m of infra.emulation.measurements)
        report(
          `${label}: RTT ${m.from}->${m.to}`,
          `${m.measuredRttMs} ms`,
          `configured ${m.configuredRttMs} ms, ok=${m.ok}`,
        );
  } finally {
    const t1 = Date.now();
    await qemuProvider.teardown(ctx);
    report(`${label}: teardown`, `${secs(Date.now() - t1)} s`);
  }
}

try {
  let t = Date.now();
  const built = await buildBaseImage({ niceness: 10 });
  report(
    'image build',
    built.cached ? `${built.image.manifest.buildSeconds} s` : `${built.seconds} s`,
    built.cached ? '(cached: time of the original build)' : JSON.stringify(built.steps),
  );
  report('image lookup when cached', `${secs(Date.now() - t)} s`);

  t = Date.now();
  for (let i = 0; i < 3; i++)
    execFileSync('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      built.image.disk,
      join(scratch, `o${i}.qcow2`),
    ]);
  report('3 qcow2 overlays', `${secs(Date.now() - t)} s`);

  await upDown('1 VM', { cloud: { nodes: 1 } }, 10, false);
  if (process.env.CONTINUUM_BENCH_SKIP_3 !== '1')
    await upDown('3 VMs in parallel', { cloud: { nodes: 2 }, endpoint: { nodes: 1 } }, 11, false);
  await upDown(
    'up 1 cloud + 1 endpoint (4g links)',
    { cloud: { nodes: 1 }, endpoint: { nodes: 1 } },
    12,
    true,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
