import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ContinuumError, isSameProcessRunning, processStartTime } from '@continuum/plugin-api';

interface LockInfo {
  pid: number;
  startTime?: string;
  host: string;
  time: string;
  command: string;
}

/**
 * `<runDir>/lock`, created with O_EXCL, holding pid + process start time + host + time, so two
 * commands never drive the same run at once. A lock whose process is gone (crash, SIGKILL) is
 * stale and taken over; a lock from another host is never broken automatically.
 */
export class RunLock {
  private constructor(readonly path: string) {}

  static acquire(runDir: string, command: string): RunLock {
    const path = join(runDir, 'lock');
    const startTime = processStartTime(process.pid);
    const info: LockInfo = {
      pid: process.pid,
      ...(startTime ? { startTime } : {}),
      host: hostname(),
      time: new Date().toISOString(),
      command,
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o644);
        try {
          writeSync(fd, JSON.stringify(info));
        } finally {
          closeSync(fd);
        }
        return new RunLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = readLock(path);
        if (holder !== undefined && !isStale(holder)) {
          throw new ContinuumError(
            'RUN_LOCKED',
            `Run directory ${runDir} is locked by \`${holder.command}\` (pid ${holder.pid} on ${holder.host}, since ${holder.time}).`,
            {
              hint:
                holder.host === hostname()
                  ? 'Wait for it to finish, or stop that process first.'
                  : `The lock belongs to another host; remove ${path} if that process is gone.`,
            },
          );
        }
        rmSync(path, { force: true });
      }
    }
    throw new ContinuumError('RUN_LOCKED', `Could not take the lock ${path}.`, {
      hint: 'Another continuum process is racing for this run.',
    });
  }

  release(): void {
    const holder = readLock(this.path);
    if (holder === undefined || holder.pid === process.pid) rmSync(this.path, { force: true });
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function isStale(lock: LockInfo): boolean {
  if (lock.host !== hostname()) return false;
  if (lock.pid === process.pid) return false;
  return !isSameProcessRunning(
    lock.startTime === undefined ? { pid: lock.pid } : { pid: lock.pid, startTime: lock.startTime },
  );
}
