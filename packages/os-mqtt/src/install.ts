import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ContinuumError,
  assertHostCanReach,
  abortError,
  isContinuumError,
  runTag,
  type Context,
  type Node,
  type ProcessRef,
} from '@continuum/plugin-api';
import { hostBrokerScript, nodeBinaryOn, stageEmbeddedBroker } from './embedded.js';
import { logTail } from './health.js';
import { findMosquitto, mosquittoConfig } from './mosquitto.js';
import { resolveOptions, type Implementation, type MqttOptions } from './options.js';
import type { BrokerInfo, MqttOutput } from './output.js';
import { mqttConnectOnce, sleep, tcpPortInUse } from './probe.js';
import { stateWriter, type MqttState } from './state.js';
import { assignPorts, isSafeAddress, targetNodes } from './targets.js';

/** Time a broker gets from spawn to its first CONNACK (TCG VMs start Node slowly). */
export const READY_TIMEOUT_MS = 30_000;

type Writer = ReturnType<typeof stateWriter>;

async function chooseImplementation(
  node: Node,
  wanted: MqttOptions['implementation'],
): Promise<{ impl: Implementation; binary?: string }> {
  if (wanted === 'embedded') return { impl: 'embedded' };
  const binary = await findMosquitto(node);
  if (binary !== undefined) return { impl: 'mosquitto', binary };
  if (wanted === 'mosquitto') {
    throw new ContinuumError(
      'MQTT_NO_MOSQUITTO',
      `services.mqtt: implementation is "mosquitto", but node ${node.name} has no mosquitto binary.`,
      {
        hint: `Install it on ${node.name} (apt-get install -y --no-install-recommends mosquitto), or set implementation: auto to fall back to the embedded broker.`,
      },
    );
  }
  return { impl: 'embedded' };
}

/** Remote scratch directory for nodes that do not see the host filesystem; run-tagged for `clean`. */
function remoteDirFor(ctx: Context<unknown, MqttState>): string {
  return `/tmp/continuum-mqtt-${runTag(ctx.run.id)}`;
}

async function ensureRemoteDir(
  ctx: Context<unknown, MqttState>,
  node: Node,
  writer: Writer,
): Promise<string> {
  const dir = remoteDirFor(ctx);
  if (writer.current.remoteDirs[node.name] === undefined) {
    await writer.update((s) => void (s.remoteDirs[node.name] = dir));
  }
  await node.exec(['mkdir', '-p', dir]);
  return dir;
}

/** The argv that runs the broker on the node, after copying whatever the node lacks. */
async function brokerCommand(
  ctx: Context<unknown, MqttState>,
  node: Node,
  choice: { impl: Implementation; binary?: string },
  port: number,
  marker: string,
  writer: Writer,
): Promise<string[]> {
  const remote = node.sharesHostFilesystem ? undefined : await ensureRemoteDir(ctx, node, writer);
  if (choice.impl === 'mosquitto') {
    // The config path carries the run-tagged marker, so the broker's command line does too.
    const localConf = join(ctx.workDir, `${marker}.conf`);
    writeFileSync(localConf, mosquittoConfig(node.address, port));
    let conf = localConf;
    if (remote !== undefined) {
      conf = `${remote}/${marker}.conf`;
      await node.copy(localConf, conf);
    }
    return [choice.binary ?? 'mosquitto', '-c', conf];
  }
  const script = remote === undefined ? hostBrokerScript() : await stageEmbeddedBroker(node, remote);
  const nodeBin = await nodeBinaryOn(node);
  return [nodeBin, script, '--host', node.address, '--port', String(port), '--marker', marker];
}

/** Polls until the broker answers an MQTT CONNECT, failing fast (with its log) if it exits. */
async function waitUntilReady(
  ctx: Context<unknown, MqttState>,
  node: Node,
  ref: ProcessRef,
  port: number,
  impl: Implementation,
): Promise<void> {
  const started = Date.now();
  const deadline = started + READY_TIMEOUT_MS;
  let lastError = '';
  for (;;) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    if (!(await node.isRunning(ref))) {
      throw new ContinuumError(
        'MQTT_BROKER_EXITED',
        `The ${impl} MQTT broker on node ${node.name} (${node.address}:${port}) exited right after starting. Last lines of ${ref.logFile}:\n${logTail(ref.logFile) || '(empty)'}`,
        {
          hint: 'A port already in use or an address the node does not own are the usual causes; see the log above.',
          details: { node: node.name, logFile: ref.logFile },
        },
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    try {
      await mqttConnectOnce(node.address, port, Math.min(2000, Math.max(remaining, 100)));
      // The CONNACK must come from our broker, not from one that grabbed the port meanwhile.
      if (await node.isRunning(ref)) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(20);
  }
  throw new ContinuumError(
    'MQTT_BROKER_NOT_READY',
    `The ${impl} MQTT broker on node ${node.name} did not accept an MQTT connection at ${node.address}:${port} within ${READY_TIMEOUT_MS / 1000} s (last error: ${lastError}). Broker log: ${ref.logFile}\n${logTail(ref.logFile)}`,
    {
      hint: 'Check that the host can reach the node address (emulated links, firewall) and the broker log above.',
      details: { node: node.name, logFile: ref.logFile },
    },
  );
}

async function startBroker(
  ctx: Context<unknown, MqttState>,
  node: Node,
  options: MqttOptions,
  port: number,
  writer: Writer,
): Promise<BrokerInfo> {
  if (!isSafeAddress(node.address)) {
    throw new ContinuumError(
      'MQTT_BAD_ADDRESS',
      `Node ${node.name} has the address "${node.address}", which cannot be used as a broker listener.`,
      {
        hint: 'This is a provider bug: node addresses must be IPs or host names.',
      },
    );
  }
  const choice = await chooseImplementation(node, options.implementation);
  // Readiness is probed from the host: never let that traffic follow a default route off the machine.
  await assertHostCanReach(node);
  if (await tcpPortInUse(node.address, port)) {
    throw new ContinuumError(
      'MQTT_PORT_IN_USE',
      `Port ${port} on node ${node.name} (${node.address}) is already taken, so no MQTT broker can start there.`,
      {
        hint: `Stop whatever listens on ${node.address}:${port}, or set services.mqtt.options.port to a free port.`,
      },
    );
  }
  const marker = `continuum-mqtt-${runTag(ctx.run.id)}-${node.name}`;
  const logFile = join(ctx.workDir, `${node.name}.log`);
  const command = await brokerCommand(ctx, node, choice, port, marker, writer);
  // Write-ahead: teardown can find the broker by marker even if we die before learning its PID.
  await writer.update(
    (s) =>
      void (s.brokers[node.name] = {
        implementation: choice.impl,
        host: node.address,
        port,
        logFile,
        marker,
      }),
  );
  const started = Date.now();
  const proc = await node.spawn(command, { detached: true, logFile, limited: false });
  await writer.update((s) => {
    const rec = s.brokers[node.name];
    if (rec !== undefined) rec.ref = proc.ref;
  });
  await waitUntilReady(ctx, node, proc.ref, port, choice.impl);
  const readyMs = Date.now() - started;
  await writer.update((s) => {
    const rec = s.brokers[node.name];
    if (rec !== undefined) rec.ready = true;
  });
  ctx.log.info(
    `${choice.impl} broker on ${node.name} ready at mqtt://${node.address}:${port} in ${readyMs} ms`,
    { pid: proc.ref.pid },
  );
  return {
    host: node.address,
    port,
    pid: proc.ref.pid,
    implementation: choice.impl,
    ...(proc.ref.startTime !== undefined ? { startTime: proc.ref.startTime } : {}),
    logFile,
    command,
    readyMs,
  };
}

export async function installBrokers(ctx: Context<unknown, MqttState>): Promise<MqttOutput> {
  const options = resolveOptions(ctx.config);
  const targets = targetNodes(ctx.nodes, options, ctx.topology.mode);
  const output: MqttOutput = { implementation: options.implementation, port: options.port, brokers: {} };
  if (targets.length === 0) {
    ctx.log.warn(`No node gets an MQTT broker (nodes: ${options.nodes}, mode: ${ctx.topology.mode}).`);
    return output;
  }
  const ports = assignPorts(targets, options.port);
  const writer = stateWriter(ctx.state);
  // Load the MQTT client up front so the readiness time measures the broker, not our module loading.
  await import('mqtt');
  ctx.log.progress(`starting ${targets.length} MQTT broker(s)`);
  const results = await Promise.allSettled(
    targets.map((node) => startBroker(ctx, node, options, ports.get(node.name) ?? options.port, writer)),
  );
  const failures: unknown[] = [];
  results.forEach((r, i) => {
    const node = targets[i] as Node;
    if (r.status === 'fulfilled') output.brokers[node.name] = r.value;
    else failures.push(r.reason);
  });
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    const first = failures.find(isContinuumError);
    throw new ContinuumError(
      'MQTT_INSTALL_FAILED',
      `${failures.length} MQTT brokers failed to start:\n- ${messages.join('\n- ')}`,
      {
        ...(first?.hint !== undefined ? { hint: first.hint } : {}),
      },
    );
  }
  return output;
}
