import { readFileSync } from 'node:fs';
import type { Client } from 'ssh2';
import {
  ContinuumError,
  createSshNode as createSharedSshNode,
  execChannel,
  hostKeyFingerprint,
  type Node,
  type NodeInfo,
  type SshClientLike,
  type SshEndpoint,
} from '@continuum/plugin-api';

/**
 * GCP's side of the shared SSH node (plugin-api's createSshNode): ssh2 connections with the host
 * key recorded on first contact and verified afterwards, waiting for a fresh VM, and run keys.
 */
export { commandLine, hostKeyFingerprint, shellQuote, type SshEndpoint } from '@continuum/plugin-api';

/** Open an SSH connection; rejects on auth failure, timeout or a host key that changed. */
export async function connectSsh(
  endpoint: SshEndpoint,
  options: { readyTimeoutMs?: number } = {},
): Promise<{ client: Client; hostKeySha256: string }> {
  const { Client: SshClient } = (await import('ssh2')).default;
  const privateKey = readFileSync(endpoint.keyFile);
  return new Promise((resolve, reject) => {
    const client = new SshClient();
    let seen = '';
    const fail = (error: Error): void => {
      client.end();
      reject(error);
    };
    client.once('ready', () => resolve({ client, hostKeySha256: seen }));
    client.once('error', fail);
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      privateKey,
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        seen = hostKeyFingerprint(key);
        return endpoint.hostKeySha256 === undefined || endpoint.hostKeySha256 === seen;
      },
    });
  });
}

export interface SshNodeOptions {
  /** Directory on the node for logs of detached processes (default ~/.continuum/logs). */
  remoteLogDir?: string;
}

export function createSshNode(info: NodeInfo, options: SshNodeOptions = {}): Node {
  if (info.access.kind !== 'ssh')
    throw new ContinuumError(
      'SSH_NODE_ACCESS',
      `Node ${info.name} is not reachable over ssh (access ${info.access.kind}).`,
    );
  const access = info.access;
  const endpoint: SshEndpoint = {
    host: access.host,
    port: access.port,
    user: access.user,
    keyFile: access.keyFile,
    hostKeySha256:
      typeof info.details?.['hostKeySha256'] === 'string' ? info.details['hostKeySha256'] : undefined,
  };
  return createSharedSshNode(info, {
    connect: async (): Promise<SshClientLike> => (await connectSsh(endpoint)).client,
    connectHint:
      'Is the VM running and does the firewall allow SSH from this machine (options.sshSourceCidr)?',
    ...(options.remoteLogDir !== undefined ? { remoteLogDir: options.remoteLogDir } : {}),
  });
}

/** Poll until the endpoint accepts the key and runs `true`, or the deadline passes. Returns the host key fingerprint. */
export async function waitForSsh(
  endpoint: SshEndpoint,
  options: { deadline: number; intervalMs?: number; signal?: AbortSignal },
): Promise<string> {
  let last: unknown;
  while (Date.now() < options.deadline) {
    if (options.signal?.aborted) throw new ContinuumError('ABORTED', 'Waiting for SSH was cancelled.');
    try {
      const { client, hostKeySha256 } = await connectSsh(endpoint, {
        readyTimeoutMs: Math.max(1000, Math.min(15_000, options.deadline - Date.now())),
      });
      try {
        const channel = await execChannel(client, 'true');
        const code = await new Promise<number | null>((resolve) => {
          let c: number | null = null;
          channel.on('exit', (x: number | null) => (c = x));
          channel.on('close', () => resolve(c));
          channel.resume();
          channel.end();
        });
        if (code === 0) return hostKeySha256;
        last = new Error(`true exited with ${code}`);
      } finally {
        client.end();
      }
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 3000));
  }
  throw new ContinuumError(
    'SSH_NOT_READY',
    `${endpoint.user}@${endpoint.host}:${endpoint.port} did not accept SSH in time: ${(last as Error | undefined)?.message ?? 'no answer'}`,
    {
      hint: 'Check the firewall rule for SSH (options.sshSourceCidr), that OS Login is not enforced by an organisation policy, and the serial console of the VM.',
    },
  );
}

/** An ed25519 key pair in OpenSSH format for this run. */
export async function generateSshKeyPair(
  comment: string,
): Promise<{ privateKey: string; publicKey: string }> {
  const { utils } = (await import('ssh2')).default;
  const pair = utils.generateKeyPairSync('ed25519', { comment });
  return { privateKey: pair.private, publicKey: pair.public };
}
