import { spawn as spawnChild } from 'node:child_process';
import { createWriteStream, mkdirSync, openSync, closeSync, readFileSync, cpSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
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
 * A Node whose commands run as processes on this host, optionally wrapped (e.g. entered into a
 * network namespace and a cgroup). Shared by every provider whose nodes live on the host
 * (provider-local's namespaces and plain processes) so exec/spawn/stop semantics are the same.
 */
export interface HostNodeOptions {
  /** Turns a command into the argv that runs it inside the node (netns, cgroup …). */
  wrap?: (command: readonly string[], options: { limited: boolean }) => string[];
  /** Extra environment for every command on this node. */
  env?: Record<string, string>;
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; identifies a PID's incarnation. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

/** True if `ref.pid` still runs and is the same process (not a recycled PID). */
export function isSameProcessRunning(ref: Pick<ProcessRef, 'pid' | 'startTime'>): boolean {
  const start = processStartTime(ref.pid);
  if (start === undefined) return false;
  return ref.startTime === undefined || ref.startTime === start;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM the process group, then SIGKILL after graceMs. Only if it is still the recorded process. */
export async function stopHostProcess(
  ref: Pick<ProcessRef, 'pid' | 'startTime'>,
  graceMs = 5000,
): Promise<void> {
  if (!isSameProcessRunning(ref)) return;
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-ref.pid, sig);
    } catch {
      try {
        process.kill(ref.pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isSameProcessRunning(ref)) return;
    await sleep(50);
  }
  if (isSameProcessRunning(ref)) signalGroup('SIGKILL');
  for (let i = 0; i < 40 && isSameProcessRunning(ref); i++) await sleep(50);
}

export function createHostNode(info: NodeInfo, options: HostNodeOptions = {}): Node {
  const wrap = (command: readonly string[], limited: boolean): string[] =>
    options.wrap ? options.wrap(command, { limited }) : [...command];

  const exec = (command: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => {
    const argv = wrap(command, false);
    return new Promise<ExecResult>((resolvePromise, reject) => {
      const child = spawnChild(argv[0] as string, argv.slice(1), {
        env: { ...process.env, ...options.env, ...opts.env },
        cwd: opts.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let stdout = '';
      let stderr = '';
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const killGroup = (): void => {
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      };
      const onAbort = (): void => killGroup();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) timer = setTimeout(killGroup, opts.timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
      const finish = (result: ExecResult | Error): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (result instanceof Error) reject(result);
        else resolvePromise(result);
      };
      child.on('error', (error) =>
        finish(
          new ContinuumError(
            'NODE_EXEC_FAILED',
            `Could not run ${command[0]} on node ${info.name}: ${error.message}`,
            {
              hint: `Is ${command[0]} installed?`,
              cause: error,
            },
          ),
        ),
      );
      child.on('close', (code, signal) => {
        const exitCode = code ?? (signal !== null ? 128 : 1);
        const timedOut = signal === 'SIGKILL' && opts.timeoutMs !== undefined && !opts.signal?.aborted;
        if (opts.signal?.aborted) {
          finish(new ContinuumError('ABORTED', `${command.join(' ')} on ${info.name} was cancelled.`));
        } else if ((opts.check ?? true) && exitCode !== 0) {
          const why = timedOut ? `timed out after ${opts.timeoutMs} ms` : `exited with ${exitCode}`;
          finish(
            new ContinuumError(
              'NODE_EXEC_FAILED',
              `${command.join(' ')} on node ${info.name} ${why}: ${(stderr || stdout).trim().slice(0, 2000)}`,
              {
                details: { node: info.name, exitCode, stderr: stderr.slice(0, 4000) },
              },
            ),
          );
        } else {
          finish({ stdout, stderr, exitCode });
        }
      });
    });
  };

  const spawn = (command: readonly string[], opts: SpawnOptions): Promise<SpawnedProcess> => {
    const argv = wrap(command, opts.limited ?? true);
    mkdirSync(dirname(opts.logFile), { recursive: true });
    return new Promise<SpawnedProcess>((resolvePromise, reject) => {
      const detached = opts.detached ?? false;
      let child;
      let logFd: number | undefined;
      try {
        if (detached) {
          logFd = openSync(opts.logFile, 'a');
          child = spawnChild(argv[0] as string, argv.slice(1), {
            env: { ...process.env, ...options.env, ...opts.env },
            cwd: opts.cwd,
            stdio: ['ignore', logFd, logFd],
            detached: true,
          });
        } else {
          child = spawnChild(argv[0] as string, argv.slice(1), {
            env: { ...process.env, ...options.env, ...opts.env },
            cwd: opts.cwd,
            stdio: ['ignore', 'pipe', 'pipe'],
            // Own process group, so stop() can signal the whole tree.
            detached: true,
          });
        }
      } finally {
        if (logFd !== undefined) closeSync(logFd);
      }
      let flushLog: (done: () => void) => void = (done) => done();
      // Resolve only once the log file has every line: callers read it right after wait().
      const exited = new Promise<ProcessExit>((resolveExit) => {
        child.on('close', (code, signal) => flushLog(() => resolveExit({ exitCode: code, signal })));
      });
      child.on('error', (error) =>
        reject(
          new ContinuumError(
            'NODE_SPAWN_FAILED',
            `Could not start ${command[0]} on node ${info.name}: ${error.message}`,
            { cause: error },
          ),
        ),
      );
      child.on('spawn', () => {
        const pid = child.pid as number;
        const startTime = processStartTime(pid);
        const ref: ProcessRef = {
          node: info.name,
          pid,
          ...(startTime !== undefined ? { startTime } : {}),
          logFile: resolve(opts.logFile),
          command: [...command],
        };
        if (detached) {
          child.unref();
        } else {
          const log = createWriteStream(opts.logFile, { flags: 'a' });
          for (const [stream, name] of [
            [child.stdout, 'stdout'],
            [child.stderr, 'stderr'],
          ] as const) {
            if (stream === null) continue;
            createInterface({ input: stream }).on('line', (line) => {
              const time = Date.now();
              log.write(`${new Date(time).toISOString()} ${name} ${line}\n`);
              opts.onLine?.(line, name, time);
            });
          }
          flushLog = (done) => log.end(done);
        }
        resolvePromise({ ref, wait: () => exited });
      });
    });
  };

  return {
    ...info,
    exec,
    copy: (localPath, remotePath) => {
      if (resolve(localPath) !== resolve(remotePath)) cpSync(localPath, remotePath, { recursive: true });
      return Promise.resolve();
    },
    fetch: (remotePath, localPath) => {
      if (resolve(localPath) !== resolve(remotePath)) cpSync(remotePath, localPath, { recursive: true });
      return Promise.resolve();
    },
    spawn,
    stop: (ref, opts) => stopHostProcess(ref, opts?.graceMs),
    isRunning: (ref) => Promise.resolve(isSameProcessRunning(ref)),
  };
}
