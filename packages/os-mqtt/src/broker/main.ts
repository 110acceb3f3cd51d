/**
 * The embedded MQTT broker (aedes on a TCP server), for nodes without mosquitto. Run as
 *   node dist/broker/main.js --host <address> --port <port> [--marker <run-tagged id>]
 * It prints one `ready` line once listening, and exits 0 on SIGTERM/SIGINT after closing clients.
 * `--marker` is not used here: it puts the run tag into the command line so teardown can find a
 * broker whose PID was never recorded (a crash between spawn and the state write).
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '0.0.0.0' },
    port: { type: 'string', default: '1883' },
    marker: { type: 'string' },
  },
  strict: true,
});
const host = values.host;
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write(`embedded-broker: invalid --port ${values.port}\n`);
  process.exit(2);
}

const broker = await Aedes.createBroker();
// noDelay: small MQTT frames must not wait for Nagle, or latency measurements include ~40 ms stalls.
const server = createServer({ noDelay: true }, broker.handle);
let clients = 0;
broker.on('client', () => (clients += 1));
broker.on('clientDisconnect', () => (clients -= 1));
broker.on('clientError', (client, error) => {
  process.stderr.write(`${new Date().toISOString()} client ${client.id} error: ${error.message}\n`);
});

server.on('error', (error: NodeJS.ErrnoException) => {
  process.stderr.write(
    `${new Date().toISOString()} embedded-broker: cannot listen on ${host}:${port}: ${error.message}\n`,
  );
  process.exit(1);
});
server.listen(port, host, () => {
  process.stdout.write(
    `${new Date().toISOString()} embedded-broker (aedes) ready on ${host}:${port} pid ${process.pid}\n`,
  );
});

let closing = false;
const shutdown = (signal: string): void => {
  if (closing) return;
  closing = true;
  process.stdout.write(
    `${new Date().toISOString()} embedded-broker: ${signal}, closing (${clients} clients)\n`,
  );
  // Bounded: a stuck client must not keep the broker alive past the caller's grace period.
  setTimeout(() => process.exit(0), 1000).unref();
  server.close();
  broker.close(() => process.exit(0));
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
