import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Client } from 'ssh2';
import { createSshNode as createSharedSshNode, type Node, type NodeInfo } from '@continuum/plugin-api';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  keyFile: string;
}

/** Opens one ssh2 connection (lazy import keeps `continuum --help` fast). */
export async function connectSsh(target: SshTarget, readyTimeoutMs = 10_000): Promise<Client> {
  const { Client: SshClient } = (await import('ssh2')).default;
  const { connect } = await import('node:net');
  const client = new SshClient();
  // Our own socket: ssh2's destroy() skips a half-closed socket, which then keeps the process alive.
  const sock = connect({ host: target.host, port: target.port });
  sockets.set(client, sock);
  let ready = false;
  return new Promise<Client>((resolve, reject) => {
    // A permanent listener: ssh2 can emit more than one 'error' (e.g. "Connection lost before
    // handshake" while a booting guest's sshd starts), and an unhandled one would crash the CLI.
    // After 'ready', errors only end the connection; users of the client see 'close'.
    client
      .once('ready', () => {
        ready = true;
        resolve(client);
      })
      .on('error', (err: Error) => {
        // A failed attempt (guest still booting) must not leave a half-closed socket behind.
        if (!ready) sock.destroy();
        reject(err);
      })
      .connect({
        sock,
        username: target.user,
        privateKey: readFileSync(target.keyFile),
        readyTimeout: readyTimeoutMs,
        keepaliveInterval: 10_000,
        keepaliveCountMax: 6,
      });
  });
}

/**
 * end() half-closes and waits for the guest's FIN; a guest that is slow to answer or torn down
 * right after never sends it, and the socket would keep the CLI process alive. Destroy the
 * connection if it is still open after a grace period.
 */
export function closeClient(client: Client, graceMs = 1000): void {
  client.end();
  setTimeout(() => sockets.get(client)?.destroy(), graceMs).unref();
}

const sockets = new WeakMap<Client, Socket>();

/** Where detached processes' output goes on the guest (fetched to the host log file on stop). */
const REMOTE_LOG_DIR = '/var/tmp/continuum/logs';

/**
 * A VM node driven over ssh2: plugin-api's shared SSH node (one connection per node, session
 * slots, PID + start time for every process, process-group stop) on qemu's own sockets, so a
 * torn-down guest never keeps the CLI alive. Copied files keep their permission bits.
 */
export function createSshNode(info: NodeInfo, target: SshTarget): Node {
  return createSharedSshNode(info, {
    connect: () => connectSsh(target),
    close: (client) => closeClient(client as Client),
    remoteLogDir: REMOTE_LOG_DIR,
    execErrorCode: 'QEMU_NODE_EXEC_FAILED',
    preserveFileModes: true,
  });
}
