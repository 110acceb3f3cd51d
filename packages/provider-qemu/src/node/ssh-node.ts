import { createWriteStream, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import type { Socket } from 'node:net';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import type {
  ExecOptions,
  ExecResult,
  Node,
  NodeInfo,
  ProcessExit,
  ProcessRef,
  SpawnOptions,
  SpawnedProcess,
} from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';
import { remoteCommand, shJoin, shQuote } from './quote.js';

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

function execOnClient(
  client: Client,
  command: string,
  options: ExecOptions & { onData?: (s: 'stdout' | 'stderr', d: Buffer) => void },
  onChannel?: (c: ClientChannel) => void,
): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      onChannel?.(channel);
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      const onAbort = (): void => {
        channel.signal('KILL');
        channel.close();
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          onAbort();
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      channel.on('data', (d: Buffer) => (options.onData ? options.onData('stdout', d) : out.push(d)));
      channel.stderr.on('data', (d: Buffer) =>
        options.onData ? options.onData('stderr', d) : errOut.push(d),
      );
      let code: number | null = null;
      channel.on('exit', (c: number | null) => (code = c));
      channel.on('close', () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const stderr =
          Buffer.concat(errOut).toString() + (timedOut ? `\ntimed out after ${options.timeoutMs} ms` : '');
        resolve({ stdout: Buffer.concat(out).toString(), stderr, exitCode: timedOut ? -1 : (code ?? -1) });
      });
      if (options.input !== undefined) channel.end(options.input);
      else channel.end();
    });
  });
}

const sftpOf = (client: Client): Promise<SFTPWrapper> =>
  new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));

/** Where detached processes' output goes on the guest (fetched to the host log file on stop). */
const REMOTE_LOG_DIR = '/var/tmp/continuum/logs';

/**
 * A VM node driven over ssh2: one connection per node, reused by every call. Commands are argv
 * arrays quoted for the remote shell. Detached processes run under `setsid nohup` with their PID
 * and start time recorded so a later process can stop them.
 */
export function createSshNode(info: NodeInfo, target: SshTarget): Node {
  let clientPromise: Promise<Client> | undefined;
  const client = async (): Promise<Client> => {
    if (clientPromise === undefined) {
      clientPromise = connectSsh(target).then((c) => {
        c.on('close', () => (clientPromise = undefined));
        c.on('error', () => (clientPromise = undefined));
        return c;
      });
      clientPromise.catch(() => (clientPromise = undefined));
    }
    return clientPromise;
  };

  const fail = (what: string, res: ExecResult): ContinuumError =>
    new ContinuumError(
      'QEMU_NODE_EXEC_FAILED',
      `${what} on ${info.name} failed (exit ${res.exitCode}): ${res.stderr.trim().slice(0, 1000)}`,
      {
        details: { node: info.name, stdout: res.stdout.slice(0, 2000) },
      },
    );

  const exec = async (command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> => {
    const res = await execOnClient(await client(), remoteCommand(command, options), options);
    if (res.exitCode !== 0 && options.check !== false) throw fail(shJoin(command), res);
    return res;
  };

  const shell = async (script: string, options: ExecOptions = {}): Promise<ExecResult> =>
    exec(['sh', '-c', script], options);

  const putRecursive = async (sftp: SFTPWrapper, local: string, remote: string): Promise<void> => {
    const st = statSync(local);
    if (st.isDirectory()) {
      await shell(`mkdir -p ${shQuote(remote)}`);
      for (const entry of readdirSync(local))
        await putRecursive(sftp, join(local, entry), posix.join(remote, entry));
      return;
    }
    await new Promise<void>((resolve, reject) =>
      sftp.fastPut(local, remote, { mode: st.mode & 0o777 }, (err) => (err ? reject(err) : resolve())),
    );
  };

  const startTimeOf = async (pid: number): Promise<string | undefined> => {
    const res = await exec(['cat', `/proc/${pid}/stat`], { check: false });
    if (res.exitCode !== 0) return undefined;
    const rest = res.stdout.slice(res.stdout.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' ? undefined : rest[19];
  };

  const isRunning = async (ref: ProcessRef): Promise<boolean> => {
    const start = await startTimeOf(ref.pid);
    return start !== undefined && (ref.startTime === undefined || ref.startTime === start);
  };

  const node: Node = {
    ...info,
    exec,
    async copy(localPath, remotePath) {
      const c = await client();
      await shell(`mkdir -p ${shQuote(posix.dirname(remotePath))}`);
      const sftp = await sftpOf(c);
      try {
        await putRecursive(sftp, localPath, remotePath);
      } finally {
        sftp.end();
      }
    },
    async fetch(remotePath, localPath) {
      mkdirSync(dirname(localPath), { recursive: true });
      const sftp = await sftpOf(await client());
      try {
        await new Promise<void>((resolve, reject) =>
          sftp.fastGet(remotePath, localPath, (err) => (err ? reject(err) : resolve())),
        );
      } finally {
        sftp.end();
      }
    },
    async spawn(command, options: SpawnOptions): Promise<SpawnedProcess> {
      if (options.detached === true) {
        const remoteLog = `${REMOTE_LOG_DIR}/${basename(options.logFile)}`;
        // setsid + nohup: survives the ssh session; `echo $!` reports the PID of the detached process.
        const cd = options.cwd !== undefined ? `cd ${shQuote(options.cwd)} && ` : '';
        const envOnly = options.env !== undefined ? { env: options.env } : {};
        const script = `mkdir -p ${REMOTE_LOG_DIR} && ${cd}{ setsid nohup ${remoteCommand(command, envOnly)} > ${shQuote(remoteLog)} 2>&1 < /dev/null & } && echo $!`;
        const res = await shell(script);
        const pid = Number(res.stdout.trim().split('\n').at(-1));
        if (!Number.isInteger(pid) || pid <= 0) throw fail(`spawn ${shJoin(command)}`, res);
        const startTime = await startTimeOf(pid);
        const ref: ProcessRef = {
          node: info.name,
          pid,
          ...(startTime !== undefined ? { startTime } : {}),
          logFile: options.logFile,
          command: [...command],
          details: { remoteLog },
        };
        return {
          ref,
          wait: async (): Promise<ProcessExit> => {
            while (await isRunning(ref)) await new Promise((r) => setTimeout(r, 1000));
            return { exitCode: null, signal: null };
          },
        };
      }
      // Attached: a streamed channel; the first stdout line is the PID (`echo $$` then exec).
      mkdirSync(dirname(options.logFile), { recursive: true });
      const logStream = createWriteStream(options.logFile, { flags: 'a' });
      const c = await client();
      let pid: number | undefined;
      let resolvePid: (p: number) => void = () => undefined;
      const pidKnown = new Promise<number>((r) => (resolvePid = r));
      const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
      const onData = (stream: 'stdout' | 'stderr', data: Buffer): void => {
        let text = partial[stream] + data.toString();
        const lines = text.split('\n');
        partial[stream] = lines.pop() ?? '';
        for (const line of lines) {
          if (stream === 'stdout' && pid === undefined) {
            pid = Number(line.trim());
            resolvePid(pid);
            continue;
          }
          logStream.write(`${line}\n`);
          options.onLine?.(line, stream, Date.now());
        }
        text = '';
      };
      const cd = options.cwd !== undefined ? `cd ${shQuote(options.cwd)} && ` : '';
      const envOnly = options.env !== undefined ? { env: options.env } : {};
      const done = execOnClient(c, `${cd}echo $$ && exec ${remoteCommand(command, envOnly)}`, { onData });
      const exitPromise = done.then((res): ProcessExit => {
        for (const s of ['stdout', 'stderr'] as const)
          if (partial[s] !== '') logStream.write(`${partial[s]}\n`);
        logStream.end();
        return { exitCode: res.exitCode, signal: null };
      });
      const firstPid = await Promise.race([pidKnown, exitPromise.then(() => -1)]);
      const startTime = firstPid > 0 ? await startTimeOf(firstPid) : undefined;
      const ref: ProcessRef = {
        node: info.name,
        pid: firstPid,
        ...(startTime !== undefined ? { startTime } : {}),
        logFile: options.logFile,
        command: [...command],
      };
      return { ref, wait: () => exitPromise };
    },
    async stop(ref, options = {}) {
      const grace = options.graceMs ?? 5000;
      if (ref.pid > 0 && (await isRunning(ref))) {
        await exec(['kill', '-TERM', String(ref.pid)], { check: false });
        const deadline = Date.now() + grace;
        while (Date.now() < deadline && (await isRunning(ref))) await new Promise((r) => setTimeout(r, 200));
        if (await isRunning(ref)) await exec(['kill', '-KILL', String(ref.pid)], { check: false });
      }
      const remoteLog = ref.details?.['remoteLog'];
      if (typeof remoteLog === 'string') await node.fetch(remoteLog, ref.logFile).catch(() => undefined);
    },
    isRunning,
    async dispose() {
      const pending = clientPromise;
      clientPromise = undefined;
      const c = pending ? await pending.catch(() => undefined) : undefined;
      if (c === undefined) return;
      closeClient(c);
    },
  };
  return node;
}
