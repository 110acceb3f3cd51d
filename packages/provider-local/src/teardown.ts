import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ContinuumError, stopHostProcess } from '@continuum/plugin-api';
import type { Context } from '@continuum/plugin-api';
import { detectCgroupLayout, removeCgroup, runCgroupDirs } from './cgroups.js';
import { run } from './exec.js';
import { isRunInterface, isRunNamespace, runNames } from './naming.js';
import type { LocalOptions } from './options.js';
import { stopRelay } from './relay.js';
import type { LocalState } from './state.js';
import { emptyState } from './state.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** PIDs of processes whose network namespace is one of `namespaces` (by inode, like `ip netns pids`). */
export function pidsInNamespaces(namespaces: readonly string[]): number[] {
  const inodes = new Set<string>();
  for (const ns of namespaces) {
    try {
      inodes.add(`net:[${statSync(join('/run/netns', ns)).ino}]`);
    } catch {
      // already gone
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch {
      // vanished or kernel thread
    }
  }
  return pids;
}

/**
 * Kill what still lives in the run's namespaces: a netns with a process (or an orphaned socket
 * held by one) inside survives `ip netns del` with its veth (machine-probes P5).
 */
async function killNamespaceProcesses(namespaces: readonly string[]): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGTERM', 1000],
    ['SIGKILL', 1000],
  ] as const) {
    const pids = pidsInNamespaces(namespaces);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && pidsInNamespaces(namespaces).length > 0) await sleep(25);
  }
}

export async function listRunLeftovers(tag: string): Promise<{ namespaces: string[]; links: string[] }> {
  const nsOut = await run(['ip', 'netns', 'list'], { check: false });
  const namespaces = nsOut.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '' && isRunNamespace(tag, n));
  const linkOut = await run(['ip', '-o', 'link', 'show'], { check: false });
  const links = linkOut.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n !== '' && isRunInterface(tag, n));
  return { namespaces, links };
}

/**
 * Remove everything recorded in the state (and anything else named with the run's tag): relay,
 * processes in the namespaces, cgroups, host interfaces, bridge, namespaces. Idempotent; needs
 * only the state, so it works in a new process after a crash or SIGKILL.
 */
export async function teardownLocal(ctx: Context<LocalOptions, LocalState>): Promise<void> {
  const state = ctx.state.get();
  if (state === undefined || state.mode !== 'netns') return;
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  if (state.relay !== undefined)
    await attempt('stop relay', () => stopRelay(state.relay as NonNullable<LocalState['relay']>));
  const leftovers = await listRunLeftovers(state.tag);
  const namespaces = [...new Set([...state.namespaces, ...leftovers.namespaces])];
  await attempt('kill namespace processes', () => killNamespaceProcesses(namespaces));
  for (const dir of [...state.cgroups, ...state.cgroupParents])
    await attempt(`remove cgroup ${dir}`, () => removeCgroup(dir));
  const links = [
    ...new Set([...state.links, ...leftovers.links, ...(state.bridge ? [state.bridge] : [])]),
  ].filter((l) => leftovers.links.includes(l));
  const batch = [
    ...links.map((l) => `link del ${l}`),
    ...namespaces.filter((n) => leftovers.namespaces.includes(n)).map((n) => `netns del ${n}`),
  ];
  if (batch.length > 0) {
    // -force: keep going past an object that is already gone.
    await attempt('delete links and namespaces', () =>
      run(['ip', '-force', '-batch', '-'], { input: `${batch.join('\n')}\n`, check: false }),
    );
  }
  // Namespace deletion is asynchronous; wait briefly for the veths to disappear.
  for (let i = 0; i < 40; i++) {
    const left = await listRunLeftovers(state.tag);
    if (left.links.length === 0 && left.namespaces.length === 0) break;
    if (i === 39)
      problems.push(`still present after teardown: ${[...left.namespaces, ...left.links].join(', ')}`);
    await sleep(50);
  }
  await ctx.state.set({ ...state, namespaces: [], links: [], cgroups: [], cgroupParents: [] });
  if (problems.length > 0) {
    for (const p of problems) ctx.log.warn(p);
    throw new ContinuumError(
      'LOCAL_TEARDOWN_INCOMPLETE',
      `local provider teardown incomplete: ${problems.join('; ')}`,
      {
        hint: 'Run `continuum down` again; if it persists, remove the listed objects with `ip netns del` / `ip link del` as root.',
      },
    );
  }
}

/**
 * `continuum clean`: remove a run's leftovers knowing only its tag (no state file): relays whose
 * config file is this run's, namespaces and interfaces named with the tag, and its cgroups.
 */
export async function cleanRunByTag(tag: string): Promise<{ removed: string[] }> {
  const removed: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (
        argv.length === 2 &&
        argv[0]?.endsWith('/continuum-relay') &&
        basename(argv[1] ?? '') === `relay-${tag}.conf`
      ) {
        await stopHostProcess({ pid: Number(entry) }, 2000);
        removed.push(`relay pid ${entry}`);
      }
    } catch {
      // vanished
    }
  }
  const left = await listRunLeftovers(tag);
  const layout = detectCgroupLayout();
  const names = runNames(tag);
  const parents = runCgroupDirs(layout, names.cgroupRun).filter((d) => existsSync(d));
  const children = parents.flatMap((p) =>
    readdirSync(p, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(p, d.name)),
  );
  const state: LocalState = {
    ...emptyState(tag, 'netns'),
    namespaces: left.namespaces,
    links: left.links,
    cgroups: children,
    cgroupParents: parents,
  };
  let current: LocalState | undefined = state;
  const ctx = {
    state: { get: () => current, set: (s: LocalState) => ((current = s), Promise.resolve()) },
    log: { warn: () => undefined },
  } as unknown as Context<LocalOptions, LocalState>;
  await teardownLocal(ctx);
  removed.push(
    ...left.namespaces.map((n) => `netns ${n}`),
    ...left.links.map((l) => `link ${l}`),
    ...parents.map((p) => `cgroup ${p}`),
  );
  return { removed };
}

/** Tags of every run that left a hub namespace (`ct-<tag>-hub`) on this host. */
export async function allRunTags(): Promise<string[]> {
  const out = await run(['ip', 'netns', 'list'], { check: false });
  const tags = out.stdout
    .split('\n')
    .map((l) => /^ct-([a-z0-9]{1,6})-hub\b/.exec(l)?.[1])
    .filter((t): t is string => t !== undefined);
  return [...new Set(tags)];
}
