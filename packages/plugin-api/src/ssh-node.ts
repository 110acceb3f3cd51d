import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ContinuumError } from './errors.js';
import type {
  ExecOptions,
  ExecResult,
  Node,
  NodeInfo,
  ProcessExit,
  ProcessRef,
  SpawnOptions,
  SpawnedProcess,
} from './node.js';

/**
 * The one Node reached over SSH, shared by the VM providers (gcp, qemu). plugin-api has no npm
 * dependencies, so the caller opens the ssh2 connection (`connect`) and this file only uses the
 * few bits of ssh2's Client named by the structural types below.
 *
 * Commands travel as one string (that is how SSH works); every argument is single-quoted, so
 * values from configs never reach a shell unquoted.
 */

type SshCallback = (err?: Error | null) => void;

/** The part of an ssh2 ClientChannel used here. */
export type SshChannelLike = Readable &
  Writable & {
    readonly stderr: Readable;
    close(): unknown;
  };

/** The part of an ssh2 SFTPWrapper used here. */
export interface SshSftpLike {
  fastPut(localPath: string, remotePath: string, options: { mode?: number }, callback: SshCallback): void;
  fastGet(remotePath: string, localPath: string, callback: SshCallback): void;
  mkdir(path: string, callback: SshCallback): void;
  end(): void;
}

/** The part of an ssh2 Client used here (ssh2's Client satisfies it). */
export interface SshClientLike {
  exec(command: string, callback: (err: Error | undefined, channel: SshChannelLike) => void): unknown;
  sftp(callback: (err: Error | undefined, sftp: SshSftpLike) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  end(): unknown;
}

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** Private key file (OpenSSH format). */
  keyFile: string;
  /** SHA-256 (base64) of the server's host key recorded on first contact; verified afterwards. */
  hostKeySha256?: string | undefined;
}

export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(
  command: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): string {
  const parts: string[] = [];
  if (options.cwd !== undefined) parts.push(`cd ${shellQuote(options.cwd)} &&`);
  const env = Object.entries(options.env ?? {});
  for (const [k] of env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new ContinuumError('SSH_BAD_ENV', `Environment variable name "${k}" is not valid.`);
  }
  if (env.length > 0) parts.push('env', ...env.map(([k, v]) => shellQuote(`${k}=${v}`)));
  parts.push(...command.map(shellQuote));
  return parts.join(' ');
}

export function hostKeyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64');
}

export function execChannel(client: SshClientLike, line: string): Promise<SshChannelLike> {
  return new Promise((resolve, reject) =>
    client.exec(line, (err, channel) => (err ? reject(err) : resolve(channel))),
  );
}

function sftpOf(client: SshClientLike): Promise<SshSftpLike> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}

const MAX_PARALLEL_EXECS = 6;
const PID_MARK = '__continuum_pid';
/** Prints "<mark> <pid> <start time>" for the shell, which then becomes the command (exec keeps pid). */
const PID_WRAPPER = `echo "${PID_MARK} $$ $(cut -d' ' -f22 /proc/$$/stat)"; exec "$@"`;
const STOP_SCRIPT = [
  'pid=$1; st=$2; grace=$3',
  // Same incarnation (start time) and not a zombie waiting for a parent that never reaps it.
  'same() { set -- $(cut -d" " -f3,22 /proc/$pid/stat 2>/dev/null); [ "$2" = "$st" ] && [ "$1" != Z ] && [ "$1" != X ]; }',
  'same || exit 0',
  'kill -TERM -- -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null',
  'i=0; while [ $i -lt $((grace*10)) ] && same; do sleep 0.1; i=$((i+1)); done',
  'same && { kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }',
  'exit 0',
].join('\n');
const RUNNING_SCRIPT =
  'st=$2; set -- $(cut -d" " -f3,22 /proc/$1/stat 2>/dev/null); [ "$2" = "$st" ] && [ "$1" != Z ] && [ "$1" != X ]';

export interface SshNodeOptions {
  /** Opens a new connection to the node (the caller owns ssh2 and the host-key check). */
  connect: () => Promise<SshClientLike>;
  /** Closes a connection on dispose() (default: client.end()). */
  close?: (client: SshClientLike) => void;
  /** Directory on the node for logs of detached processes (default ~/.continuum/logs). */
  remoteLogDir?: string;
  /** Hint on SSH_CONNECT_FAILED, saying what to check for this provider. */
  connectHint?: string;
  /** Error code of a failed exec (default NODE_EXEC_FAILED). */
  execErrorCode?: string;
  /** Give copied files the permission bits of the local file (default: sftp's default 0644). */
  preserveFileModes?: boolean;
}

export function createSshNode(info: NodeInfo, options: SshNodeOptions): Node {
  if (info.access.kind !== 'ssh')
    throw new ContinuumError(
      'SSH_NODE_ACCESS',
      `Node ${info.name} is not reachable over ssh (access ${info.access.kind}).`,
    );
  const access = info.access;
  const remoteLogDir = options.remoteLogDir ?? '.continuum/logs';
  let connection: Promise<SshClientLike> | undefined;

  const client = (): Promise<SshClientLike> => {
    connection ??= options.connect().then(
      (c) => {
        c.on('close', () => (connection = undefined));
        c.on('error', () => (connection = undefined));
        return c;
      },
      (error: unknown) => {
        connection = undefined;
        throw new ContinuumError(
          'SSH_CONNECT_FAILED',
          `Could not connect to node ${info.name} (${access.user}@${access.host}:${access.port}): ${(error as Error).message}`,
          {
            hint: options.connectHint ?? 'Is the VM running and does it accept SSH from this machine?',
            cause: error,
          },
        );
      },
    );
    return connection;
  };

  // OpenSSH allows 10 sessions per connection (MaxSessions): short commands share 6 of them, the
  // rest stays free for long-running attached processes and sftp.
  let activeExecs = 0;
  const execWaiters: (() => void)[] = [];
  const acquireExec = async (): Promise<void> => {
    if (activeExecs >= MAX_PARALLEL_EXECS) await new Promise<void>((r) => execWaiters.push(r));
    activeExecs++;
  };
  const releaseExec = (): void => {
    activeExecs--;
    execWaiters.shift()?.();
  };

  const exec = async (command: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => {
    await acquireExec();
    try {
      return await execNow(command, opts);
    } finally {
      releaseExec();
    }
  };

  const execNow = async (command: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => {
    // OpenSSH ignores client "signal" requests, so a timeout is enforced on the node with coreutils
    // `timeout` (TERM, then KILL 2 s later); the local timer is only a backstop.
    const timeoutS = opts.timeoutMs !== undefined ? Math.max(1, Math.ceil(opts.timeoutMs / 1000)) : undefined;
    const argv = timeoutS !== undefined ? ['timeout', '-k', '2', `${timeoutS}s`, ...command] : [...command];
    const line = commandLine(argv, {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    const channel = await execChannel(await client(), line);
    return new Promise<ExecResult>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let settled = false;
      const finish = (result: ExecResult | Error): void => {
        if (settled) return;
        settled = true;
        if (backstop !== undefined) clearTimeout(backstop);
        opts.signal?.removeEventListener('abort', onAbort);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const failure = (why: string, code: number): ContinuumError =>
        new ContinuumError(
          options.execErrorCode ?? 'NODE_EXEC_FAILED',
          `${command.join(' ')} on node ${info.name} ${why}: ${(stderr || stdout).trim().slice(0, 2000)}`,
          {
            details: { node: info.name, exitCode: code, stderr: stderr.slice(0, 4000) },
          },
        );
      const backstop =
        opts.timeoutMs !== undefined
          ? setTimeout(() => {
              channel.close();
              finish(failure(`timed out after ${opts.timeoutMs} ms`, 124));
            }, opts.timeoutMs + 5000)
          : undefined;
      const onAbort = (): void => {
        channel.close();
        finish(new ContinuumError('ABORTED', `${command.join(' ')} on ${info.name} was cancelled.`));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      channel.setEncoding('utf8');
      channel.on('data', (d: string) => (stdout += d));
      channel.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      let exitCode: number | null = null;
      channel.on('exit', (code: number | null) => (exitCode = code));
      channel.on('close', () => {
        const code = exitCode ?? 255;
        const timedOut = timeoutS !== undefined && (code === 124 || code === 137);
        if ((opts.check ?? true) && (code !== 0 || timedOut)) {
          finish(failure(timedOut ? `timed out after ${opts.timeoutMs} ms` : `exited with ${code}`, code));
        } else {
          finish({ stdout, stderr, exitCode: code });
        }
      });
      channel.end(opts.input ?? '');
    });
  };

  const putFile = (sftp: SshSftpLike, local: string, remote: string): Promise<void> => {
    const mode = options.preserveFileModes === true ? { mode: statSync(local).mode & 0o777 } : {};
    return new Promise((resolve, reject) =>
      sftp.fastPut(local, remote, mode, (err) => (err ? reject(err) : resolve())),
    );
  };
  const mkdirRemote = async (dir: string): Promise<void> => {
    await exec(['mkdir', '-p', dir]);
  };

  const copy = async (localPath: string, remotePath: string): Promise<void> => {
    const sftp = await sftpOf(await client());
    try {
      // Directories are created over sftp as the walk reaches them; one `mkdir -p` for the parent.
      const walk = async (local: string, remote: string): Promise<void> => {
        if (statSync(local).isDirectory()) {
          await new Promise<void>((resolve) => sftp.mkdir(remote, () => resolve()));
          for (const entry of readdirSync(local)) await walk(join(local, entry), posix.join(remote, entry));
        } else {
          await putFile(sftp, local, remote);
        }
      };
      await mkdirRemote(posix.dirname(remotePath));
      await walk(localPath, remotePath);
    } finally {
      sftp.end();
    }
  };

  const fetch = async (remotePath: string, localPath: string): Promise<void> => {
    const sftp = await sftpOf(await client());
    try {
      mkdirSync(dirname(localPath), { recursive: true });
      await new Promise<void>((resolve, reject) =>
        sftp.fastGet(remotePath, localPath, (err) => (err ? reject(err) : resolve())),
      );
    } finally {
      sftp.end();
    }
  };

  const parsePidLine = (text: string): { pid: number; startTime: string } | undefined => {
    const m = new RegExp(`${PID_MARK} (\\d+) (\\d+)`).exec(text);
    return m ? { pid: Number(m[1]), startTime: m[2] as string } : undefined;
  };

  const spawn = async (command: readonly string[], opts: SpawnOptions): Promise<SpawnedProcess> => {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    if (opts.detached ?? false) {
      const remoteLog = posix.join(remoteLogDir, basename(opts.logFile));
      const pidFile = `${remoteLog}.pid`;
      // setsid: own session and process group, survives the SSH channel; stop() signals the group.
      const inner = commandLine(['setsid', 'sh', '-c', PID_WRAPPER, 'sh', ...command], {
        ...(opts.env ? { env: opts.env } : {}),
      });
      const cd = opts.cwd !== undefined ? `cd ${shellQuote(opts.cwd)} && ` : '';
      const script = [
        `mkdir -p ${shellQuote(remoteLogDir)} && rm -f ${shellQuote(pidFile)}`,
        // Redirections apply before the cd, so the relative log path stays under $HOME.
        `(${cd}exec ${inner}) > ${shellQuote(remoteLog)} 2>&1 < /dev/null &`,
        `i=0; while [ $i -lt 100 ] && ! grep -q ${PID_MARK} ${shellQuote(remoteLog)} 2>/dev/null; do sleep 0.05; i=$((i+1)); done`,
        `grep -m1 ${PID_MARK} ${shellQuote(remoteLog)}`,
      ].join('\n');
      const res = await exec(['sh', '-c', script]);
      const parsed = parsePidLine(res.stdout);
      if (parsed === undefined)
        throw new ContinuumError(
          'NODE_SPAWN_FAILED',
          `Could not start ${command[0]} on node ${info.name}: ${res.stderr.trim()}`,
        );
      const ref: ProcessRef = {
        node: info.name,
        pid: parsed.pid,
        startTime: parsed.startTime,
        logFile: opts.logFile,
        command: [...command],
        details: { remoteLogFile: remoteLog },
      };
      return { ref, wait: () => waitUntilGone(ref) };
    }
    const line = commandLine(['sh', '-c', PID_WRAPPER, 'sh', ...command], {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    const channel = await execChannel(await client(), line);
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    let exitInfo: ProcessExit = { exitCode: null, signal: null };
    channel.on(
      'exit',
      (code: number | null, signal?: string) => (exitInfo = { exitCode: code, signal: signal ?? null }),
    );
    // Resolve only once the log file has every line: callers read it right after wait().
    const exited = new Promise<ProcessExit>((resolve) =>
      channel.on('close', () => log.end(() => resolve(exitInfo))),
    );
    channel.end();
    return new Promise<SpawnedProcess>((resolve, reject) => {
      let ref: ProcessRef | undefined;
      const timer = setTimeout(
        () =>
          reject(
            new ContinuumError(
              'NODE_SPAWN_FAILED',
              `${command[0]} on ${info.name} did not start within 30 s`,
            ),
          ),
        30_000,
      );
      for (const [stream, name] of [
        [channel, 'stdout'],
        [channel.stderr, 'stderr'],
      ] as const) {
        createInterface({ input: stream }).on('line', (text) => {
          if (ref === undefined && name === 'stdout') {
            const parsed = parsePidLine(text);
            if (parsed !== undefined) {
              clearTimeout(timer);
              ref = {
                node: info.name,
                pid: parsed.pid,
                startTime: parsed.startTime,
                logFile: opts.logFile,
                command: [...command],
              };
              resolve({ ref, wait: () => exited });
              return;
            }
          }
          const time = Date.now();
          log.write(`${new Date(time).toISOString()} ${name} ${text}\n`);
          opts.onLine?.(text, name, time);
        });
      }
      void exited.then(() => {
        clearTimeout(timer);
        if (ref === undefined)
          reject(
            new ContinuumError(
              'NODE_SPAWN_FAILED',
              `Could not start ${command[0]} on node ${info.name} (exit ${exitInfo.exitCode}).`,
            ),
          );
      });
    });
  };

  const isRunning = async (ref: ProcessRef): Promise<boolean> => {
    const res = await exec(['sh', '-c', RUNNING_SCRIPT, 'sh', String(ref.pid), ref.startTime ?? ''], {
      check: false,
    });
    return res.exitCode === 0;
  };

  const waitUntilGone = async (ref: ProcessRef): Promise<ProcessExit> => {
    while (await isRunning(ref)) await new Promise((r) => setTimeout(r, 1000));
    return { exitCode: null, signal: null };
  };

  const stop = async (ref: ProcessRef, opts: { graceMs?: number } = {}): Promise<void> => {
    const grace = Math.max(1, Math.ceil((opts.graceMs ?? 5000) / 1000));
    await exec(['sh', '-c', STOP_SCRIPT, 'sh', String(ref.pid), ref.startTime ?? '', String(grace)], {
      check: false,
      timeoutMs: grace * 1000 + 15_000,
    });
    // `remoteLog` is the key older provider-qemu state blobs used.
    const remoteLog = ref.details?.['remoteLogFile'] ?? ref.details?.['remoteLog'];
    if (typeof remoteLog === 'string') await fetch(remoteLog, ref.logFile).catch(() => undefined);
  };

  return {
    ...info,
    exec,
    copy,
    fetch,
    spawn,
    stop,
    isRunning,
    async dispose() {
      const c = connection;
      connection = undefined;
      const open = c === undefined ? undefined : await c.catch(() => undefined);
      if (open === undefined) return;
      if (options.close !== undefined) options.close(open);
      else open.end();
    },
  };
}
