import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createHostNode,
  createProcessRunner,
  processStartTime,
  stopHostProcess,
  type Node,
  type NodeInfo,
  type Role,
  type Tier,
} from '@continuum/plugin-api';

/** A real mosquitto broker (apt package `mosquitto`) in the foreground, stopped by PID. */
export interface TestBroker {
  host: string;
  port: number;
  pid: number;
  startTime: string | undefined;
  logFile: string;
  stop(): Promise<void>;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startMosquitto(host: string, dir: string): Promise<TestBroker> {
  const port = await freePort(host);
  const conf = join(dir, `mosquitto-${host}-${port}.conf`);
  const logFile = join(dir, `mosquitto-${host}-${port}.log`);
  writeFileSync(conf, `listener ${port} ${host}\nallow_anonymous true\npersistence false\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore', detached: true });
  child.unref();
  const pid = child.pid as number;
  const { connectAsync } = await import('mqtt');
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const c = await connectAsync(`mqtt://${host}:${port}`, { connectTimeout: 500, reconnectPeriod: 0 });
      await c.endAsync();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const startTime = processStartTime(pid);
  return {
    host,
    port,
    pid,
    startTime,
    logFile,
    stop: () => stopHostProcess({ pid, ...(startTime ? { startTime } : {}) }, 2000),
  };
}

export function hostNode(name: string, tier: Tier, role: Role, address: string, cores = 2): Node {
  const info: NodeInfo = {
    name,
    tier,
    role,
    address,
    limits: { cores, cpuQuota: 1, memoryMiB: 2048 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
  };
  return createHostNode(info);
}

export interface Cluster {
  dir: string;
  nodes: Node[];
  brokers: Record<string, TestBroker>;
  mqttOutput: {
    implementation: string;
    port: number;
    brokers: Record<string, { host: string; port: number; pid: number; startTime?: string; logFile: string }>;
  };
  runner: ReturnType<typeof createProcessRunner>;
  stop(): Promise<void>;
}

/** Host nodes on distinct loopback addresses (127.0.0.x needs no setup on Linux), one broker each. */
export async function makeCluster(
  layout: { cloud?: number; edge?: number; endpoint: number },
  withBrokers = true,
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'app-ic-test-'));
  const nodes: Node[] = [];
  let octet = 2;
  for (let i = 0; i < (layout.cloud ?? 0); i++)
    nodes.push(hostNode(`cloud${i}`, 'cloud', 'cloud', `127.0.0.${octet++}`));
  for (let i = 0; i < (layout.edge ?? 0); i++)
    nodes.push(hostNode(`edge${i}`, 'edge', 'edge', `127.0.0.${octet++}`));
  for (let i = 0; i < layout.endpoint; i++)
    nodes.push(hostNode(`endpoint${i}`, 'endpoint', 'endpoint', `127.0.0.${octet++}`, 1));
  const brokers: Record<string, TestBroker> = {};
  if (withBrokers) {
    for (const n of nodes) brokers[n.name] = await startMosquitto(n.address, dir);
  }
  const mqttOutput = {
    implementation: 'mosquitto',
    port: 0,
    brokers: Object.fromEntries(
      Object.entries(brokers).map(([n, b]) => [
        n,
        {
          host: b.host,
          port: b.port,
          pid: b.pid,
          ...(b.startTime ? { startTime: b.startTime } : {}),
          logFile: b.logFile,
        },
      ]),
    ),
  };
  return {
    dir,
    nodes,
    brokers,
    mqttOutput,
    runner: createProcessRunner(nodes, { logDir: join(dir, 'logs') }),
    stop: async () => {
      await Promise.all(Object.values(brokers).map((b) => b.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
