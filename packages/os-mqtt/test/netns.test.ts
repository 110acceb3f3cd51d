import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '@continuum/plugin-api/testing';
import { runTag } from '@continuum/plugin-api';
import mqttService, {
  brokerUrlFor,
  checkBrokers,
  type MqttOutput,
  type MqttState,
  type MqttOptions,
  mqttOptionsSchema,
} from '../src/index.js';
import { hostNodes, isAlive, nodeInfo, randomPort, requireBuild, roundTrip } from './helpers.js';

/**
 * Brokers inside a real network namespace, entered with `ip netns exec` as provider-local does:
 * the recorded PID is then the `ip` wrapper, and stopping it must take the broker down too.
 */
const isRoot = process.getuid?.() === 0;
const ipWorks =
  isRoot &&
  (() => {
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

const tag = runTag(`x-${Math.random().toString(36).slice(2, 8)}`);
const ns = `cmq-${tag}`;
const hostIf = `cmqh${tag}`;
const nsIf = `cmqn${tag}`;
const octet = 1 + Math.floor(Math.random() * 250);
const hostAddr = `10.254.${octet}.1`;
const nsAddr = `10.254.${octet}.2`;
const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });

describe.skipIf(!ipWorks)('brokers in a network namespace (root only)', () => {
  const contexts: ReturnType<typeof createTestContext<MqttOptions, MqttState>>[] = [];

  beforeAll(() => {
    requireBuild();
    ip('netns', 'add', ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns);
    ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', ns, 'addr', 'add', `${nsAddr}/30`, 'dev', nsIf);
    ip('-n', ns, 'link', 'set', nsIf, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  });

  afterAll(async () => {
    for (const ctx of contexts) {
      await mqttService.teardown(ctx).catch(() => undefined);
      rmSync(ctx.run.dir, { recursive: true, force: true });
    }
    try {
      ip('link', 'del', hostIf);
    } catch {
      // deleted with the namespace
    }
    try {
      ip('netns', 'del', ns);
    } catch {
      // not created
    }
  });

  it.each(['mosquitto', 'embedded'] as const)(
    '%s: serves the namespace address and stops with its ip-netns wrapper',
    async (implementation) => {
      const port = randomPort();
      const nodes = hostNodes(
        [nodeInfo('edge0', 'edge', nsAddr, { access: { kind: 'netns', namespace: ns, shell: 'sh' } })],
        {
          wrap: (cmd) => ['ip', 'netns', 'exec', ns, ...cmd],
        },
      );
      const ctx = createTestContext<MqttOptions, MqttState>({
        config: mqttOptionsSchema.parse({ implementation, port }),
        nodes,
        tiers: { edge: { nodes: 1 } },
      });
      contexts.push(ctx);
      const output = (await mqttService.install(ctx)) as unknown as MqttOutput;
      const url = brokerUrlFor(output, 'edge0');
      expect(url).toBe(`mqtt://${nsAddr}:${port}`);
      expect((await roundTrip(url, url, 'ns', 'inside')).message).toBe('inside');
      expect((await checkBrokers(ctx.nodes, output)).healthy).toBe(true);
      await mqttService.teardown(ctx);
      expect(isAlive(output.brokers['edge0']!.pid)).toBe(false);
      // Nothing of ours is left in the namespace (the broker itself, not only the wrapper, is gone).
      expect(execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).trim()).toBe('');
    },
    30_000,
  );
});
