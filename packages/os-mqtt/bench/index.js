// Benchmarks for @continuum/os-mqtt, run after `npx tsc -b packages/os-mqtt`:
//   node packages/os-mqtt/bench/index.js [--starts N] [--messages N]
// Prints broker start-to-ready time per implementation and pub→sub round-trip latency on loopback.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createHostNode, percentile } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import mqttService, { brokerUrlFor } from '../dist/index.js';

const { values } = parseArgs({
  options: { starts: { type: 'string', default: '5' }, messages: { type: 'string', default: '300' } },
});
const starts = Number(values.starts);
const messages = Number(values.messages);

const node = (address) =>
  createHostNode({
    name: 'edge0',
    tier: 'edge',
    role: 'edge',
    address,
    limits: { cores: 1, cpuQuota: 1, memoryMiB: 256 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
  });
const port = () => 20000 + Math.floor(Math.random() * 20000);
const fmt = (v) => (v === null ? 'n/a' : v.toFixed(2));

async function withBroker(implementation, fn) {
  const ctx = createTestContext({
    config: { implementation, port: port() },
    nodes: [node('127.0.0.1')],
    tiers: { edge: { nodes: 1 } },
  });
  const t0 = performance.now();
  try {
    const output = await mqttService.install(ctx);
    const total = performance.now() - t0;
    return await fn(output, total);
  } finally {
    await mqttService.teardown(ctx);
    rmSync(ctx.run.dir, { recursive: true, force: true });
  }
}

/** Sequential ping-pong: publish, wait for the subscriber to get it, repeat. QoS 0 like upstream's frames. */
async function roundTrips(url, n) {
  const { connectAsync } = await import('mqtt');
  const sub = await connectAsync(url, { reconnectPeriod: 0 });
  const pub = await connectAsync(url, { reconnectPeriod: 0 });
  await sub.subscribeAsync('bench/rt', { qos: 0 });
  const payload = Buffer.alloc(1024, 7);
  const samples = [];
  let resolveOne;
  sub.on('message', () => resolveOne?.());
  for (let i = 0; i < n + 20; i++) {
    const got = new Promise((r) => (resolveOne = r));
    const t0 = performance.now();
    pub.publish('bench/rt', payload, { qos: 0 });
    await got;
    if (i >= 20) samples.push(performance.now() - t0); // the first 20 warm up the connection and JIT
  }
  await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
  return samples;
}

for (const implementation of ['mosquitto', 'embedded']) {
  const ready = [];
  const install = [];
  for (let i = 0; i < starts; i++) {
    await withBroker(implementation, (output, total) => {
      ready.push(output.brokers.edge0.readyMs);
      install.push(total);
    });
  }
  console.log(
    `${implementation}: start-to-ready (spawn → first CONNACK) over ${starts} starts: p50 ${fmt(percentile(ready, 50))} ms, min ${fmt(Math.min(...ready))} ms, max ${fmt(Math.max(...ready))} ms; whole install() p50 ${fmt(percentile(install, 50))} ms`,
  );
  const rt = await withBroker(implementation, (output) =>
    roundTrips(brokerUrlFor(output, 'edge0'), messages),
  );
  console.log(
    `${implementation}: pub→sub on loopback, 1 KiB QoS 0, ${messages} messages: p50 ${fmt(percentile(rt, 50))} ms, p95 ${fmt(percentile(rt, 95))} ms, p99 ${fmt(percentile(rt, 99))} ms`,
  );
}
