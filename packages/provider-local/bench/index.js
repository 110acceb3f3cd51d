#!/usr/bin/env node
// provider-local benchmark (run after build): deploy/teardown times and emulation accuracy.
//   node packages/provider-local/bench/index.js
// Needs root for the netns figures; without root it reports process mode only.
import provider from '../dist/index.js';
import { localOptionsSchema } from '../dist/options.js';
import { createTestContext } from '@continuum/plugin-api/testing';
import { percentile, rttToleranceMs } from '@continuum/plugin-api';

const isRoot = process.getuid?.() === 0;

// Piping into `head` must not abort a run half-way and leave namespaces behind.
process.stdout.on('error', () => undefined);
const active = new Set();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    for (const ctx of active) await provider.teardown(ctx).catch(() => undefined);
    process.exit(130);
  });
}
const quiet = { validation: { rtt: false, throughput: false } };
const s = (ms) => (ms / 1000).toFixed(3);

function context(tiers, config, tweakLinks) {
  const ctx = createTestContext({ config: localOptionsSchema.parse(config), tiers, emulation: true });
  active.add(ctx);
  if (tweakLinks) for (const l of ctx.topology.network.links) tweakLinks(l);
  return ctx;
}

async function deployTeardown(label, tiers, runs, config = quiet) {
  const deploy = [];
  const teardown = [];
  let backend = '';
  for (let i = 0; i < runs; i++) {
    const ctx = context(tiers, config);
    let t0 = performance.now();
    try {
      const infra = await provider.provision(ctx);
      deploy.push(performance.now() - t0);
      backend = infra.emulation.backend;
    } finally {
      t0 = performance.now();
      await provider.teardown(ctx);
      teardown.push(performance.now() - t0);
      active.delete(ctx);
    }
  }
  const med = (xs) => percentile(xs, 50);
  console.log(
    `${label.padEnd(44)} deploy median ${s(med(deploy))} s (min ${s(Math.min(...deploy))}, max ${s(Math.max(...deploy))})` +
      `   teardown median ${s(med(teardown))} s (max ${s(Math.max(...teardown))})   [${runs} runs, delay backend ${backend}]`,
  );
  return { deploy: med(deploy), teardown: med(teardown) };
}

async function accuracy(label, tweakLinks, pings, throughputSeconds) {
  const ctx = context(
    { cloud: { nodes: 1 }, edge: { nodes: 1 }, endpoint: { nodes: 2 } },
    {
      validation: {
        rtt: true,
        pings,
        pingIntervalS: 0.02,
        throughput: throughputSeconds > 0,
        throughputSeconds: Math.max(0.5, throughputSeconds),
      },
    },
    tweakLinks,
  );
  try {
    const t0 = performance.now();
    const infra = await provider.provision(ctx);
    const took = performance.now() - t0;
    const backend = infra.emulation.backend;
    console.log(
      `\n${label} (backend ${backend}, ${pings} pings per pair, provision incl. validation ${s(took)} s)`,
    );
    console.log(
      '  pair                 configured RTT  median RTT   error    goal bound  within   rate cfg  measured  % of cfg',
    );
    for (const m of infra.emulation.measurements) {
      const err = m.measuredRttMs === null ? null : Math.abs(m.measuredRttMs - m.configuredRttMs);
      const bound = rttToleranceMs(m.configuredRttMs, backend);
      const rate = m.configuredRateMbit ?? null;
      const measured = m.measuredRateMbit ?? null;
      console.log(
        `  ${`${m.fromTier}->${m.toTier}`.padEnd(20)} ${`${m.configuredRttMs} ms`.padStart(13)}  ${`${m.measuredRttMs ?? '-'} ms`.padStart(10)}  ${
          err === null ? '   -  ' : `${err.toFixed(2)} ms`.padStart(8)
        }  ${`${bound.toFixed(2)} ms`.padStart(10)}  ${err !== null && err <= bound ? 'yes' : 'NO '}   ${
          rate === null ? '       -' : `${rate}`.padStart(8)
        }  ${measured === null ? '       -' : `${measured}`.padStart(8)}  ${rate && measured ? `${((measured / rate) * 100).toFixed(1)} %`.padStart(8) : '       -'}`,
      );
    }
    for (const w of infra.emulation.warnings) console.log(`  warning: ${w}`);
  } finally {
    await provider.teardown(ctx);
    active.delete(ctx);
  }
}

console.log(`provider-local bench — ${new Date().toISOString()} — node ${process.version}, root: ${isRoot}`);
if (!isRoot) {
  const ctx = context({ cloud: { nodes: 1 }, endpoint: { nodes: 2 } }, { mode: 'process' });
  const t0 = performance.now();
  await provider.provision(ctx);
  console.log(`process mode demo deploy ${s(performance.now() - t0)} s (no emulation without root)`);
  await provider.teardown(ctx);
  process.exit(0);
}

const demo = await deployTeardown(
  'demo (1 cloud worker + 2 endpoints, 4g)',
  { cloud: { nodes: 1 }, endpoint: { nodes: 2 } },
  5,
);
await deployTeardown(
  'demo incl. default validation (RTT+rate)',
  { cloud: { nodes: 1 }, endpoint: { nodes: 2 } },
  3,
  {},
);
const big = await deployTeardown(
  '1 cloud + 100 endpoints, 4g',
  { cloud: { nodes: 1 }, endpoint: { nodes: 100 } },
  3,
);
console.log(
  `goals: demo deploy < 3 s: ${demo.deploy < 3000 ? 'met' : 'MISSED'}; 100 nodes < 10 s: ${big.deploy < 10000 ? 'met' : 'MISSED'}; teardown < 2 s: ${
    demo.teardown < 2000 && big.teardown < 2000 ? 'met' : 'MISSED'
  } (deploy excludes the post-setup validation, shown below)`,
);

await accuracy('Emulation accuracy, 4g preset (with jitter)', undefined, 200, 3);
await accuracy(
  "Emulation accuracy, 4g preset with jitter 0 (the relay's own error)",
  (l) => (l.jitterMs = 0),
  100,
  0,
);
process.exit(0);
