// Docker runner figures: runtime-image build/import time and start latency per container, on a
// private containerd + dockerd started here (no bridge, no iptables) and stopped by PID.
// Run after `npx tsc -b packages/rm-docker`: node packages/rm-docker/bench/index.js [containers=10]
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHostNode, createMemoryLogger, processStartTime, stopHostProcess } from '@continuum/plugin-api';
import { buildRuntimeTarball, createDockerRunner, createRuntimeImageDelivery } from '../dist/index.js';

const N = Number(process.argv[2] ?? 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const has = (c) => {
  try {
    execFileSync(c, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
if (process.getuid?.() !== 0 || !has('dockerd') || !has('containerd')) {
  console.log('rm-docker bench skipped: needs root and docker.io (dockerd, containerd)');
  process.exit(0);
}
const dir = mkdtempSync('/var/tmp/ct-rmdbench-');
const run = `/run/ct-rmdb-${dir.slice(-6)}`;
mkdirSync(run, { recursive: true });
const procs = [];
const start = (argv, log) => {
  const fd = openSync(join(dir, log), 'a');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  procs.push({ pid: child.pid, startTime: processStartTime(child.pid) });
};
const host = `unix://${run}/docker.sock`;
const t0 = Date.now();
start(
  [
    'containerd',
    '--root',
    join(dir, 'ctr'),
    '--state',
    join(run, 'ctr-state'),
    '--address',
    `${run}/containerd.sock`,
  ],
  'containerd.log',
);
for (let i = 0; i < 80 && !existsSync(`${run}/containerd.sock`); i++) await sleep(100);
start(
  [
    'dockerd',
    '--containerd',
    `${run}/containerd.sock`,
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(run, 'exec'),
    '--pidfile',
    join(run, 'd.pid'),
    '-H',
    host,
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
    '--ip-forward=false',
  ],
  'dockerd.log',
);
for (let i = 0; i < 120; i++) {
  try {
    execFileSync('docker', ['version'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore' });
    break;
  } catch {
    await sleep(250);
  }
}
console.log(`dockerd ready: ${((Date.now() - t0) / 1000).toFixed(2)} s`);
try {
  const node = createHostNode({
    name: 'edge0',
    tier: 'edge',
    role: 'edge',
    address: '127.0.0.1',
    limits: { cores: 1, cpuQuota: 1, memoryMiB: 512 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
  });
  const delivery = createRuntimeImageDelivery({
    cacheDir: dir,
    endpoint: { host },
    log: createMemoryLogger(),
  });
  let t = Date.now();
  const plan = await delivery.plan();
  const planMs = Date.now() - t;
  t = Date.now();
  await buildRuntimeTarball(plan, dir);
  const tarMs = Date.now() - t;
  t = Date.now();
  await delivery.ensure(node);
  const importMs = Date.now() - t;
  const size = execFileSync('docker', ['image', 'inspect', '--format', '{{.Size}}', plan.tag], {
    env: { ...process.env, DOCKER_HOST: host },
  })
    .toString()
    .trim();
  console.log(
    `runtime image ${plan.tag}: ${plan.files.length} libraries, ${(Number(size) / 1e6).toFixed(1)} MB`,
  );
  console.log(
    `  plan (ldd of node + native addons): ${planMs} ms; rootfs tarball: ${tarMs} ms; docker import: ${importMs} ms`,
  );
  const runner = createDockerRunner({
    runId: 'bench',
    tag: 'bench',
    nodes: [node],
    endpoint: { host },
    logDir: join(dir, 'logs'),
    network: 'host',
    ensureDefaultImage: () => delivery.ensure(node),
    record: () => Promise.resolve(),
  });
  const runMs = [];
  const toStartMs = [];
  const totalMs = [];
  for (let i = 0; i < N; i++) {
    const t1 = Date.now();
    const w = await runner.run({
      name: `c${i}`,
      node: 'edge0',
      command: [process.execPath, '-e', "console.log('Start the application')"],
    });
    runMs.push(Date.now() - t1);
    const exit = await w.wait({ timeoutMs: 60_000 });
    totalMs.push(Date.now() - t1);
    if (exit.phase !== 'succeeded') throw new Error(`container ${i} failed: ${exit.reason}`);
    const first = (await w.logs()).find((l) => l.line === 'Start the application');
    toStartMs.push(first.time - t1);
    execFileSync('docker', ['rm', '-f', w.ref.data.container], {
      env: { ...process.env, DOCKER_HOST: host },
      stdio: 'ignore',
    });
  }
  const stats = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms, min ${s[0].toFixed(0)}, max ${s[s.length - 1].toFixed(0)}`;
  };
  console.log(`start latency over ${N} containers (node -e, network host):`);
  console.log(`  docker run returned:          ${stats(runMs)}`);
  console.log(`  first app log line (runtime): ${stats(toStartMs)}`);
  console.log(`  container exited and reaped:  ${stats(totalMs)}`);
} finally {
  for (const p of procs.reverse()) await stopHostProcess(p, 10_000);
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(run) || m.startsWith(dir));
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', m]);
    } catch {
      /* gone */
    }
  }
  rmSync(run, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
