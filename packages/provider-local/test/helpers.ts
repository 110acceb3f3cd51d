import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { isSameProcessRunning, runTag } from '@continuum/plugin-api';
import { createTestContext } from '@continuum/plugin-api/testing';
import type { Tier, TierSpec } from '@continuum/plugin-api';
import { localOptionsSchema } from '../src/options.js';
import type { LocalOptions } from '../src/options.js';
import type { LocalState } from '../src/state.js';

export const isRoot = process.getuid?.() === 0;

export function makeContext(options: {
  tiers: Partial<Record<Tier, Partial<TierSpec>>>;
  config?: Record<string, unknown>;
  emulation?: boolean;
}) {
  return createTestContext<LocalOptions, LocalState>({
    config: localOptionsSchema.parse(options.config ?? {}),
    tiers: options.tiers,
    emulation: options.emulation ?? true,
  });
}

export const quietValidation = { validation: { rtt: false, throughput: false } };

/** Everything named with the run tag: namespaces, interfaces, cgroup dirs. Empty when torn down. */
export function leftovers(tag: string): string[] {
  const found: string[] = [];
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of ns.split('\n'))
    if (line.startsWith(`ct-${tag}-`)) found.push(`netns ${line.split(' ')[0]}`);
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const line of links.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name?.startsWith(`ct${tag}`)) found.push(`link ${name}`);
  }
  for (const root of [
    '/sys/fs/cgroup/cpu',
    '/sys/fs/cgroup/memory',
    '/sys/fs/cgroup/unified',
    '/sys/fs/cgroup',
  ]) {
    if (existsSync(`${root}/continuum-${tag}`)) found.push(`cgroup ${root}/continuum-${tag}`);
  }
  return found;
}

export function relayRunning(state: LocalState | undefined): boolean {
  const r = state?.relay;
  if (r?.pid === undefined) return false;
  return isSameProcessRunning({ pid: r.pid, ...(r.startTime ? { startTime: r.startTime } : {}) });
}

export const tagOf = (runId: string): string => runTag(runId);
