import type { Context, Diagnostic, PlanItem } from '@continuum/plugin-api';
import { spawnSync } from 'node:child_process';
import { findMosquitto } from './mosquitto.js';
import { resolveOptions } from './options.js';
import type { MqttState } from './state.js';
import { targetNodes } from './targets.js';

const INSTALL_HINT =
  'apt-get install -y --no-install-recommends mosquitto (or set implementation: auto to fall back to the embedded broker)';

function hostHasMosquitto(): boolean {
  const res = spawnSync('sh', ['-c', 'command -v mosquitto || test -x /usr/sbin/mosquitto'], {
    stdio: 'ignore',
  });
  return res.status === 0;
}

export async function validateOptions(ctx: Context<unknown, MqttState>): Promise<Diagnostic[]> {
  const options = resolveOptions(ctx.config);
  const diagnostics: Diagnostic[] = [];
  const targets = targetNodes(ctx.topology.nodes, options, ctx.topology.mode);
  if (targets.length === 0) {
    diagnostics.push({
      severity: 'warning',
      message: `mqtt: no node gets a broker (nodes: ${options.nodes}, mode: ${ctx.topology.mode}).`,
      hint: 'Use nodes: all, or add worker nodes.',
    });
  }
  if (options.implementation === 'mosquitto') {
    const live = targetNodes(ctx.nodes, options, ctx.topology.mode);
    if (live.length > 0) {
      for (const node of live) {
        if ((await findMosquitto(node)) === undefined) {
          diagnostics.push({
            severity: 'error',
            message: `mqtt: implementation is "mosquitto", but node ${node.name} has no mosquitto binary.`,
            hint: INSTALL_HINT,
          });
        }
      }
    } else if (!hostHasMosquitto()) {
      // Before provisioning only the host can be checked; VM images may still bring their own.
      diagnostics.push({
        severity: 'warning',
        message:
          'mqtt: implementation is "mosquitto", but this host has no mosquitto binary (nodes that share the host filesystem will fail to start a broker).',
        hint: INSTALL_HINT,
      });
    }
  }
  return diagnostics;
}

export function planBrokers(ctx: Context<unknown, MqttState>): PlanItem[] {
  const options = resolveOptions(ctx.config);
  return targetNodes(ctx.topology.nodes, options, ctx.topology.mode).map((n) => ({
    resource: 'broker',
    name: `mqtt@${n.name}`,
    details: { node: n.name, implementation: options.implementation, port: options.port },
  }));
}
