import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '@continuum/plugin-api/testing';
import type { Node, NodeInfo } from '@continuum/plugin-api';
import mqttService, {
  brokerUrlFor,
  checkBrokers,
  assertBrokersHealthy,
  watchBrokers,
  type BrokerHealth,
  type MqttOutput,
  type MqttState,
  type MqttOptions,
  mqttOptionsSchema,
} from '../src/index.js';
import type { MqttOptionsInput } from '../src/options.js';
import { hostNodes, isAlive, loopback, nodeInfo, randomPort, requireBuild, roundTrip } from './helpers.js';

type Ctx = ReturnType<typeof createTestContext<MqttOptions, MqttState>>;
const live: Ctx[] = [];

function context(config: MqttOptionsInput, nodes: Node[], state?: MqttState): Ctx {
  const ctx = createTestContext<MqttOptions, MqttState>({
    config: mqttOptionsSchema.parse(config),
    nodes,
    tiers: { edge: { nodes: 1 }, endpoint: { nodes: 1 } },
    ...(state !== undefined ? { state } : {}),
  });
  live.push(ctx);
  return ctx;
}

const recordedPids = (ctx: Ctx): number[] =>
  Object.values(ctx.state.get()?.brokers ?? {}).flatMap((b) => (b.ref ? [b.ref.pid] : []));

beforeAll(() => requireBuild());
afterAll(async () => {
  // Whatever a failed test left running is stopped from its state, like `continuum down` would.
  for (const ctx of live) {
    await mqttService.teardown(ctx).catch(() => undefined);
    rmSync(ctx.run.dir, { recursive: true, force: true });
  }
});

describe.each(['mosquitto', 'embedded'] as const)('%s brokers', (implementation) => {
  it('start on every node, carry real MQTT traffic between nodes, and stop by PID at teardown', async () => {
    const port = randomPort();
    const infos: NodeInfo[] = [
      nodeInfo('edge0', 'edge', loopback()),
      nodeInfo('endpoint0', 'endpoint', loopback()),
    ];
    const ctx = context({ implementation, port }, hostNodes(infos));
    const output = (await mqttService.install(ctx)) as unknown as MqttOutput;

    expect(Object.keys(output.brokers).sort()).toEqual(['edge0', 'endpoint0']);
    for (const info of infos) {
      const b = output.brokers[info.name]!;
      expect(b).toMatchObject({ host: info.address, port, implementation });
      expect(isAlive(b.pid)).toBe(true);
      expect(existsSync(b.logFile)).toBe(true);
    }
    // Write-ahead: the PIDs were in the state before install returned.
    expect(recordedPids(ctx).sort()).toEqual(
      Object.values(output.brokers)
        .map((b) => b.pid)
        .sort(),
    );
    expect(ctx.savedStates.some((s) => Object.values(s.brokers).some((b) => b.ref === undefined))).toBe(true);

    // Upstream's flow: the endpoint publishes to the worker's broker; the worker replies on the endpoint's broker.
    const worker = brokerUrlFor(output, 'edge0');
    const endpoint = brokerUrlFor(output, 'endpoint0');
    expect(worker).toBe(`mqtt://${infos[0]!.address}:${port}`);
    expect((await roundTrip(worker, worker, 'image-classification-sub', 'frame-1')).message).toBe('frame-1');
    expect((await roundTrip(endpoint, endpoint, 'image-classification-pub', 'reply-1')).message).toBe(
      'reply-1',
    );
    // Brokers are separate: a message on the worker's broker never shows up on the endpoint's.
    await expect(roundTrip(endpoint, worker, 'isolated', 'x', 500)).rejects.toThrow(/no message/);

    expect((await checkBrokers(ctx.nodes, output)).healthy).toBe(true);

    await mqttService.teardown(ctx);
    for (const b of Object.values(output.brokers)) expect(isAlive(b.pid)).toBe(false);
    await mqttService.teardown(ctx);
    expect(ctx.state.get()?.brokers).toEqual({});
  }, 30_000);
});

describe('mqtt service', () => {
  it('auto uses mosquitto where the node has it and the embedded broker where it does not', async () => {
    const port = randomPort();
    const withMosquitto = hostNodes([nodeInfo('edge0', 'edge', loopback())]);
    // A node without mosquitto: its detection command finds nothing (as on a bare VM image).
    const without = hostNodes([nodeInfo('endpoint0', 'endpoint', loopback())], {
      wrap: (cmd) =>
        cmd[0] === 'sh' && String(cmd[2]).includes('command -v mosquitto') ? ['false'] : [...cmd],
    });
    const ctx = context({ port }, [...withMosquitto, ...without]);
    const output = (await mqttService.install(ctx)) as unknown as MqttOutput;
    expect(output.implementation).toBe('auto');
    expect(output.brokers['edge0']?.implementation).toBe('mosquitto');
    expect(output.brokers['endpoint0']?.implementation).toBe('embedded');
    await mqttService.teardown(ctx);

    // implementation: mosquitto on such a node is a clear error and a validate diagnostic.
    const strict = context({ implementation: 'mosquitto', port }, without);
    const diagnostics = await mqttService.validate!(strict);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        message: expect.stringContaining('endpoint0') as string,
        hint: expect.stringContaining('apt-get install') as string,
      }),
    ]);
    await expect(mqttService.install(strict)).rejects.toMatchObject({
      code: 'MQTT_NO_MOSQUITTO',
      message: expect.stringContaining('endpoint0') as string,
    });
  }, 30_000);

  it('reports a broker killed mid-run through the health check, the watcher and teardown', async () => {
    const port = randomPort();
    const nodes = hostNodes([
      nodeInfo('edge0', 'edge', loopback()),
      nodeInfo('endpoint0', 'endpoint', loopback()),
    ]);
    const ctx = context({ implementation: 'embedded', port }, nodes);
    const output = (await mqttService.install(ctx)) as unknown as MqttOutput;
    const seen: BrokerHealth[] = [];
    const watch = watchBrokers(ctx.nodes, output, { intervalMs: 50, onFailure: (f) => seen.push(f) });

    process.kill(output.brokers['edge0']!.pid, 'SIGKILL');
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    watch.stop();
    expect(seen.map((f) => f.node)).toEqual(['edge0']);

    const report = await checkBrokers(ctx.nodes, output);
    expect(report.healthy).toBe(false);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ node: 'edge0', running: false, reachable: false });
    expect(report.failures[0]?.error).toContain(output.brokers['edge0']!.logFile);
    expect(report.failures[0]?.logTail).toContain('ready on');
    expect(report.brokers.find((b) => b.node === 'endpoint0')).toMatchObject({
      running: true,
      reachable: true,
    });
    await expect(assertBrokersHealthy(ctx.nodes, output)).rejects.toMatchObject({
      code: 'MQTT_BROKER_DOWN',
      message: expect.stringContaining('edge0') as string,
    });

    await mqttService.teardown(ctx);
    expect(
      ctx.log.lines.some(
        (l) => l.level === 'warn' && l.message.includes('edge0') && l.message.includes('already exited'),
      ),
    ).toBe(true);
    expect(isAlive(output.brokers['endpoint0']!.pid)).toBe(false);
  }, 30_000);

  it('tears down from the state alone in a fresh context (new process after a crash)', async () => {
    const port = randomPort();
    const infos = [nodeInfo('edge0', 'edge', loopback()), nodeInfo('endpoint0', 'endpoint', loopback())];
    const ctx = context({ port }, hostNodes(infos));
    const output = (await mqttService.install(ctx)) as unknown as MqttOutput;
    const state = JSON.parse(JSON.stringify(ctx.state.get())) as MqttState;

    // A new process re-attaches nodes from their JSON and has only the state file.
    const fresh = context({ port }, hostNodes(JSON.parse(JSON.stringify(infos)) as NodeInfo[]), state);
    await mqttService.teardown(fresh);
    await mqttService.teardown(fresh);
    for (const b of Object.values(output.brokers)) expect(isAlive(b.pid)).toBe(false);
  }, 30_000);

  it('stops a broker whose PID never reached the state (crash between spawn and write) by its run-tagged marker', async () => {
    const port = randomPort();
    const address = loopback();
    const [node] = hostNodes([nodeInfo('edge0', 'edge', address)]);
    const ctx = context({ implementation: 'embedded', port }, [node!]);
    const output = (await mqttService.install(ctx)) as unknown as MqttOutput;
    const rec = ctx.state.get()!.brokers['edge0']!;
    // The state as it was written just before spawn: marker, no PID.
    const withoutPid = { ...rec };
    delete withoutPid.ref;
    delete withoutPid.ready;
    const crashed = context({ port }, [node!], { brokers: { edge0: withoutPid }, remoteDirs: {} });
    await mqttService.teardown(crashed);
    expect(isAlive(output.brokers['edge0']!.pid)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
  }, 30_000);

  it('copies the embedded broker to a node that does not share the host filesystem and removes it at teardown', async () => {
    const port = randomPort();
    const nodes = hostNodes([nodeInfo('cloud0', 'cloud', loopback(), { sharesHostFilesystem: false })]);
    const ctx = context({ implementation: 'embedded', port }, nodes);
    const output = (await mqttService.install(ctx)) as unknown as MqttOutput;
    const dir = ctx.state.get()!.remoteDirs['cloud0']!;
    expect(dir).toMatch(/^\/tmp\/continuum-mqtt-[a-z0-9]+$/);
    // It runs from the copy (outside the workspace, so every import resolved from the copied modules).
    expect(output.brokers['cloud0']!.command[1]).toMatch(new RegExp(`^${dir}/.*dist/broker/main\\.js$`));
    const url = brokerUrlFor(output, 'cloud0');
    expect((await roundTrip(url, url, 't', 'remote')).message).toBe('remote');
    await mqttService.teardown(ctx);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('gives nodes that share one address consecutive ports', async () => {
    const port = randomPort();
    const address = loopback();
    const nodes = hostNodes([
      nodeInfo('cloud_controller', 'cloud-controller', address),
      nodeInfo('cloud0', 'cloud', address),
      nodeInfo('endpoint0', 'endpoint', address),
    ]);
    const ctx = context({ implementation: 'mosquitto', port }, nodes);
    const output = (await mqttService.install(ctx)) as unknown as MqttOutput;
    expect(Object.keys(output.brokers).sort()).toEqual(['cloud0', 'endpoint0']);
    expect(output.brokers['cloud0']?.port).toBe(port);
    expect(output.brokers['endpoint0']?.port).toBe(port + 1);
    expect(
      (await roundTrip(brokerUrlFor(output, 'endpoint0'), brokerUrlFor(output, 'endpoint0'), 't', 'p'))
        .message,
    ).toBe('p');
    expect(() => brokerUrlFor(output, 'cloud_controller')).toThrow(/cloud_controller has no MQTT broker/);
    await mqttService.teardown(ctx);
    // IPv6 node addresses come back as bracketed URLs.
    const v6 = {
      ...output,
      brokers: { edge9: { ...output.brokers['cloud0']!, host: 'fd00::5', port: 1883 } },
    };
    expect(brokerUrlFor(v6, 'edge9')).toBe('mqtt://[fd00::5]:1883');
    expect(() => brokerUrlFor({}, 'edge9')).toThrow(/No MQTT brokers are recorded/);
  }, 30_000);

  it('fails clearly when the port is taken or the broker dies at start, and leaves nothing running', async () => {
    const port = randomPort();
    const address = loopback();
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(port, address, r));
    try {
      const ctx = context({ port }, hostNodes([nodeInfo('edge0', 'edge', address)]));
      await expect(mqttService.install(ctx)).rejects.toMatchObject({
        code: 'MQTT_PORT_IN_USE',
        message: expect.stringContaining('edge0') as string,
      });
    } finally {
      squatter.close();
    }
    // A broker process that cannot start (here: node refuses its options) fails fast with its log.
    const broken = hostNodes([nodeInfo('edge0', 'edge', address)], {
      env: { NODE_OPTIONS: '--no-such-node-flag' },
    });
    const ctx = context({ implementation: 'embedded', port }, broken);
    const error = await mqttService.install(ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'MQTT_BROKER_EXITED' });
    expect((error as Error).message).toMatch(/edge0[\s\S]*no-such-node-flag/);
    await mqttService.teardown(ctx);
    expect(recordedPids(ctx)).toEqual([]);
    expect(
      readFileSync(ctx.state.get() === undefined ? '/dev/null' : `${ctx.workDir}/edge0.log`, 'utf8'),
    ).toContain('no-such-node-flag');
  }, 30_000);

  it('plans one broker per non-controller node and validates its options strictly', async () => {
    const ctx = createTestContext<MqttOptions, MqttState>({
      config: mqttOptionsSchema.parse({}),
      tiers: { cloud: { nodes: 2 }, endpoint: { nodes: 2 } },
      withController: true,
    });
    live.push(ctx);
    const plan = await mqttService.plan!(ctx);
    expect(plan.map((p) => p.name)).toEqual(['mqtt@cloud0', 'mqtt@endpoint0', 'mqtt@endpoint1']);
    expect(plan.every((p) => p.resource === 'broker' && p.details?.['port'] === 1883)).toBe(true);
    const workers = await mqttService.plan!({
      ...ctx,
      config: mqttOptionsSchema.parse({ nodes: 'workers' }),
    });
    expect(workers.map((p) => p.name)).toEqual(['mqtt@cloud0']);
    const schema = mqttService.configSchema!['~standard'];
    expect(await schema.validate({ port: 70000 })).toHaveProperty('issues');
    expect(await schema.validate({ implementation: 'rabbitmq' })).toHaveProperty('issues');
    expect(await schema.validate({})).toEqual({
      value: { implementation: 'auto', port: 1883, nodes: 'all' },
    });
    expect(mqttService.jsonSchema!()).toMatchObject({ type: 'object', additionalProperties: false });
  });
});
