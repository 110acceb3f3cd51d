import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { ProcessRef } from './node.js';
import { ContinuumError } from './errors.js';
import { isSameProcessRunning, processStartTime, stopHostProcess } from './host-node.js';

/**
 * Daemons on the host itself (Prometheus, exporters, Grafana …): started detached in their
 * own process group so they outlive the CLI between `up` and `bench`, stopped by recorded PID
 * (and process start time, so a recycled PID is never signalled).
 */
export function startDaemon(
  command: readonly string[],
  options: { logFile: string; cwd?: string; env?: Record<string, string> },
): Promise<ProcessRef> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  return new Promise<ProcessRef>((resolvePromise, reject) => {
    try {
      const child = spawn(command[0] as string, command.slice(1), {
        stdio: ['ignore', fd, fd],
        detached: true,
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
      });
      child.on('error', (error) =>
        reject(
          new ContinuumError('DAEMON_START_FAILED', `Could not start ${command[0]}: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      child.on('spawn', () => {
        const pid = child.pid as number;
        const startTime = processStartTime(pid);
        child.unref();
        resolvePromise({
          node: 'host',
          pid,
          ...(startTime !== undefined ? { startTime } : {}),
          logFile: resolve(options.logFile),
          command: [...command],
        });
      });
    } finally {
      closeSync(fd);
    }
  });
}

export const isDaemonRunning = (ref: ProcessRef | undefined): boolean =>
  ref !== undefined && isSameProcessRunning(ref);

export async function stopDaemon(ref: ProcessRef | undefined, graceMs = 5000): Promise<void> {
  if (ref !== undefined) await stopHostProcess(ref, graceMs);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `url` until it answers 2xx, the process dies, or the deadline passes. */
export async function waitHttpReady(
  url: string,
  ref: ProcessRef,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (signal?.aborted) return { ok: false, reason: 'cancelled' };
    if (!isSameProcessRunning(ref)) return { ok: false, reason: 'the process exited' };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return { ok: true };
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  return { ok: false, reason: `not ready after ${timeoutMs / 1000} s (${last})` };
}

/** A port nobody listens on right now (127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise(true)));
  });
}
