import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ContinuumError, processStartTime, stopHostProcess } from '@continuum/plugin-api';

/** Where the package build puts the compiled relay (same relative path from src/ and dist/). */
export function relayBinaryPath(): string {
  return fileURLToPath(new URL('../dist/native/continuum-relay', import.meta.url));
}

export interface RelayRecord {
  binary: string;
  configFile: string;
  logFile: string;
  pid?: number;
  startTime?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function ensureRelayBinary(binary = relayBinaryPath()): string {
  if (!existsSync(binary)) {
    throw new ContinuumError(
      'LOCAL_RELAY_MISSING',
      `The userspace delay relay is not built (${binary} is missing).`,
      {
        hint: 'Run `npm run build -w packages/provider-local` (needs a C compiler: apt-get install gcc libc6-dev).',
      },
    );
  }
  return binary;
}

/**
 * Start the relay detached (it must outlive this process: it IS the links) and wait until it has
 * opened every TAP. Returns its PID and start time for the state file.
 */
export async function startRelay(
  record: RelayRecord,
  config: string,
  timeoutMs = 10000,
): Promise<{ pid: number; startTime?: string; scheduling: string }> {
  writeFileSync(record.configFile, config);
  writeFileSync(record.logFile, '');
  const fd = openSync(record.logFile, 'a');
  let child;
  try {
    child = spawn(record.binary, [record.configFile], { detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) =>
      reject(
        new ContinuumError('LOCAL_RELAY_FAILED', `Could not start the relay ${record.binary}: ${e.message}`, {
          cause: e,
        }),
      ),
    );
    child.once('spawn', () => resolve(child.pid as number));
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const log = readFileSync(record.logFile, 'utf8');
    const ready = /^READY \d+(?: sched=(\w+))?/m.exec(log);
    if (ready) {
      const startTime = processStartTime(pid);
      const scheduling = ready[1] ?? 'unknown';
      return startTime === undefined ? { pid, scheduling } : { pid, startTime, scheduling };
    }
    if (exited !== undefined) {
      throw new ContinuumError(
        'LOCAL_RELAY_FAILED',
        `The delay relay exited (code ${exited}) before it was ready: ${log.trim().slice(0, 1000)}`,
        {
          hint: 'It needs root (or CAP_NET_ADMIN) and /dev/net/tun.',
        },
      );
    }
    await sleep(10);
  }
  throw new ContinuumError(
    'LOCAL_RELAY_FAILED',
    `The delay relay did not become ready within ${timeoutMs} ms (log: ${record.logFile}).`,
  );
}

/**
 * PIDs of relays started with exactly this config file (found when a crash happened between
 * spawning the relay and recording its PID). The config path lives in the run's directory, so the
 * match cannot hit another run's relay.
 */
export function findRelayPids(record: Pick<RelayRecord, 'binary' | 'configFile'>): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length === 2 && argv[0] === record.binary && argv[1] === record.configFile)
        pids.push(Number(entry));
    } catch {
      // process vanished
    }
  }
  return pids;
}

/** Stop the relay; its TAPs (also those inside namespaces) vanish with it. */
export async function stopRelay(record: RelayRecord): Promise<void> {
  if (record.pid !== undefined)
    await stopHostProcess(
      { pid: record.pid, ...(record.startTime ? { startTime: record.startTime } : {}) },
      2000,
    );
  for (const pid of findRelayPids(record)) await stopHostProcess({ pid }, 2000);
}
