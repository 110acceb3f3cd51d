import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createHostNode,
  isSameProcessRunning,
  type HostNodeOptions,
  type Node,
  type NodeInfo,
  type Role,
  type Tier,
} from '@continuum/plugin-api';

export const distScript = fileURLToPath(new URL('../dist/broker/main.js', import.meta.url));

export function requireBuild(): void {
  if (!existsSync(distScript))
    throw new Error(`Build os-mqtt first (npx tsc -b packages/os-mqtt): ${distScript} is missing.`);
}

export function nodeInfo(name: string, role: Role, address: string, extra: Partial<NodeInfo> = {}): NodeInfo {
  const tier: Tier = role === 'cloud-controller' ? 'cloud' : role;
  return {
    name,
    tier,
    role,
    address,
    limits: { cores: 1, cpuQuota: 1, memoryMiB: 256 },
    access: { kind: 'process', shell: 'sh' },
    sharesHostFilesystem: true,
    ...extra,
  };
}

export function hostNodes(infos: NodeInfo[], options: HostNodeOptions = {}): Node[] {
  return infos.map((i) => createHostNode(i, options));
}

/** A port range unlikely to collide with other suites running at the same time. */
export function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}

/** A loopback address of its own per test (Linux routes all of 127/8 to lo). */
export function loopback(): string {
  return `127.${50 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
}

/** Subscribe on one URL, publish on another (or the same), return what arrived and how long it took. */
export async function roundTrip(
  subUrl: string,
  pubUrl: string,
  topic: string,
  payload: string,
  timeoutMs = 5000,
): Promise<{ message: string; ms: number }> {
  const { connectAsync } = await import('mqtt');
  const sub = await connectAsync(subUrl, { reconnectPeriod: 0 });
  const pub = await connectAsync(pubUrl, { reconnectPeriod: 0 });
  try {
    const got = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message on ${topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      sub.on('message', (t, m) => {
        if (t === topic) {
          clearTimeout(timer);
          resolve(m.toString());
        }
      });
    });
    await sub.subscribeAsync(topic, { qos: 1 });
    const t0 = performance.now();
    await pub.publishAsync(topic, payload, { qos: 1 });
    const message = await got;
    return { message, ms: performance.now() - t0 };
  } finally {
    await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
  }
}

/** Alive and not a zombie (a killed child of this process lingers as one until reaped). */
export const isAlive = (pid: number): boolean => isSameProcessRunning({ pid });
