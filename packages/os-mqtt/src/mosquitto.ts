import type { Node } from '@continuum/plugin-api';

// Constant script; it takes no values from config. Prints the broker binary's path or exits 1.
const FIND_MOSQUITTO =
  'p=$(command -v mosquitto 2>/dev/null); for c in "$p" /usr/sbin/mosquitto /usr/local/sbin/mosquitto; do [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; exit 0; }; done; exit 1';

/** Absolute path of mosquitto on the node, or undefined. Found by asking the node, not the host. */
export async function findMosquitto(node: Node): Promise<string | undefined> {
  const res = await node
    .exec(['sh', '-c', FIND_MOSQUITTO], { check: false, timeoutMs: 10_000 })
    .catch(() => undefined);
  const path = res?.exitCode === 0 ? res.stdout.trim().split('\n')[0] : undefined;
  return path !== undefined && path !== '' ? path : undefined;
}

/**
 * A broker on one listener, no persistence (a benchmark must not replay old messages), logging to
 * stdout (the log file). TCP_NODELAY keeps small replies from waiting for Nagle's algorithm.
 */
export function mosquittoConfig(address: string, port: number): string {
  return [
    '# Written by @continuum/os-mqtt',
    'per_listener_settings false',
    'persistence false',
    'allow_anonymous true',
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
    'set_tcp_nodelay true',
    `listener ${port} ${address}`,
    '',
  ].join('\n');
}
