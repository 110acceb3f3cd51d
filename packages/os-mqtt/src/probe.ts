/**
 * A real MQTT handshake (CONNECT → CONNACK) against a broker, used for readiness and health.
 * A TCP connect alone would also succeed against a process that accepts but does not speak MQTT.
 */
export async function mqttConnectOnce(host: string, port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('mqtt');
  return new Promise<void>((resolve, reject) => {
    const client = connect({
      host,
      port,
      protocol: 'mqtt',
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      clientId: `continuum-probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      clean: true,
    });
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => finish(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    client.once('connect', () => finish());
    client.once('error', (error) => finish(error));
    client.once('close', () => finish(new Error('connection closed before CONNACK')));
  });
}

/** True when something accepts TCP connections on host:port (a port already taken). */
export async function tcpPortInUse(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    const done = (inUse: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(inUse);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
