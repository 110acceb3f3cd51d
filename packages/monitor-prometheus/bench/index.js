// Monitoring overhead, run after `npx tsc -b packages/monitor-prometheus packages/monitor-scaphandre`, as root:
//   node packages/monitor-prometheus/bench/index.js [--rounds N] [--seconds S]
// A CPU-bound "worker" (sha256 over a 64 KiB buffer) runs in its own cgroup (1 core), like a
// provider-local node, alternately without monitors and with both monitors installed (node sampler
// + real Prometheus scraping every 1 s + in-process energy sampler). Prints worker throughput for
// both, the difference, and the CPU time the monitors themselves used.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHostNode } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import prometheus from '../dist/index.js';
import scaphandre from '../../monitor-scaphandre/dist/index.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '4' }, seconds: { type: 'string', default: '5' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
if (process.getuid?.() !== 0) {
  console.log('needs root (cgroups); skipped');
  process.exit(0);
}

const name = `continuum-bench-${process.pid}`;
const dirs = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/memory'].map((r) => join(r, name));
for (const d of dirs) mkdirSync(d);
writeFileSync(join(dirs[0], 'cpu.cfs_quota_us'), '100000');
const node = createHostNode(
  {
    name: 'cloud0',
    tier: 'cloud',
    role: 'cloud',
    address: '127.0.0.1',
    limits: { cores: 1, cpuQuota: 1, memoryMiB: 512 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
    details: { cgroups: dirs },
  },
  {
    wrap: (cmd, { limited }) =>
      limited
        ? [
            'sh',
            '-c',
            'echo $$ > "$1/cgroup.procs"; echo $$ > "$2/cgroup.procs"; shift 2; exec "$@"',
            'join',
            dirs[0],
            dirs[1],
            ...cmd,
          ]
        : [...cmd],
  },
);

const WORKER = `const { createHash } = require('node:crypto'); const b = Buffer.alloc(65536, 7); let n = 0; const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) { createHash('sha256').update(b).digest(); n++; } console.log(n / ${seconds});`;

async function worker() {
  let out = '';
  const p = await node.spawn([process.execPath, '-e', WORKER], {
    logFile: `/tmp/${name}.log`,
    onLine: (l) => (out = l),
  });
  await p.wait();
  return Number(out);
}

const cpuOf = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
};

const without = [];
const withMon = [];
const monitorCpu = [];
const split = [];
try {
  for (let r = 0; r < rounds; r++) {
    without.push(await worker());
    const pctx = createTestContext({
      config: {
        binary: 'prometheus',
        port: 0,
        scrapeIntervalS: 1,
        nodeExporterPort: 9100,
        targets: [],
        required: false,
        grafana: { binary: 'grafana-server', start: false },
      },
      nodes: [node],
    });
    const sctx = createTestContext({
      config: {
        mode: 'estimate',
        binary: 'scaphandre',
        sampleIntervalS: 1,
        powerModel: { idleWatts: 10, wattsPerCore: 12 },
        qemu: {
          sharesDir: '/var/lib/libvirt/scaphandre',
          guestMount: '/var/scaphandre',
          virtiofsd: '/usr/libexec/virtiofsd',
          guestExporterPort: 8080,
        },
      },
      nodes: [node],
    });
    await prometheus.install(pctx);
    await scaphandre.install(sctx);
    const st = pctx.state.get();
    const pids = [st.exporter?.ref?.pid, st.prometheus?.ref?.pid].filter(Boolean);
    const before = pids.map(cpuOf);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    withMon.push(await worker());
    const wall = (performance.now() - t0) / 1000;
    const self = process.cpuUsage(self0);
    const parts = [...pids.map((pid, i) => cpuOf(pid) - before[i]), (self.user + self.system) / 1e6].map(
      (v) => v / wall,
    );
    monitorCpu.push(parts.reduce((x, y) => x + y, 0));
    split.push(parts);
    await scaphandre.collect(sctx, { start: Date.now() - seconds * 1000, end: Date.now() });
    await prometheus.collect(pctx, { start: Date.now() - seconds * 1000, end: Date.now() });
    await scaphandre.teardown(sctx);
    await prometheus.teardown(pctx);
  }
} finally {
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch {
      // a process is still in it
    }
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const a = median(without);
const b = median(withMon);
console.log(
  `worker throughput without monitors: ${without.map((v) => v.toFixed(0)).join(', ')} hashes/s (median ${a.toFixed(0)})`,
);
console.log(
  `worker throughput with monitors:    ${withMon.map((v) => v.toFixed(0)).join(', ')} hashes/s (median ${b.toFixed(0)})`,
);
console.log(
  `throughput change with monitors: ${(((b - a) / a) * 100).toFixed(2)} % (goal: within -2 %; the machine is shared, see the spread above)`,
);
const med = (i) => (median(split.map((p) => p[i])) * 100).toFixed(2);
console.log(
  `  of which: node sampler ${med(0)} %, Prometheus ${med(1)} %, CLI process (energy sampler + bench driver) ${med(2)} %`,
);
console.log(
  `CPU used by the monitors (sampler + Prometheus + in-process energy sampler): ${(median(monitorCpu) * 100).toFixed(2)} % of one core`,
);
