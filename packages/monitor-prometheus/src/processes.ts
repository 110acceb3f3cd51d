import { readdirSync, readFileSync } from 'node:fs';
import { processStartTime } from '@continuum/plugin-api';
import type { DaemonRecord } from './state.js';

/**
 * PIDs whose command line contains `marker` (a run-tagged file path that only this run's daemon
 * has). Used when the CLI died between spawning a daemon and recording its PID.
 */
export function findByMarker(marker: string): { pid: number; startTime?: string }[] {
  const found: { pid: number; startTime?: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!cmdline.some((arg) => arg.includes(marker))) continue;
      const startTime = processStartTime(Number(entry));
      if (startTime !== undefined) found.push({ pid: Number(entry), startTime });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The recorded process, or processes found by the marker when the PID was never recorded. */
export function daemonRefs(record: DaemonRecord | undefined): { pid: number; startTime?: string }[] {
  if (record === undefined) return [];
  if (record.ref !== undefined) return [record.ref];
  return findByMarker(record.marker);
}
