import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeLimits } from '@continuum/plugin-api';

/**
 * CPU and memory limits per node with cgroups. v1 (separate cpu and memory hierarchies, as on
 * this project's CI machines) and v2 (one unified hierarchy with cpu.max / memory.max) are both
 * supported; which one is used is detected from /proc/mounts and the v2 controller list.
 */
export type CgroupLayout =
  | { version: 1; cpuRoot: string; memoryRoot: string }
  | { version: 2; root: string }
  | { version: 'none'; reason: string };

export const CFS_PERIOD_US = 100000;

export interface CgroupValues {
  /** v1 cpu.cfs_quota_us (-1 = unlimited). */
  cfsQuotaUs: number;
  cfsPeriodUs: number;
  /** v2 cpu.max */
  cpuMax: string;
  memoryBytes: number;
}

/** Upstream's limit: `cores` vCPUs each running `cpuQuota` of the time → cores*quota CPUs of bandwidth. */
export function cgroupValues(limits: NodeLimits): CgroupValues {
  const quota = Math.max(1000, Math.round(limits.cores * limits.cpuQuota * CFS_PERIOD_US));
  const memoryBytes = Math.round(limits.memoryMiB * 1024 * 1024);
  return { cfsQuotaUs: quota, cfsPeriodUs: CFS_PERIOD_US, cpuMax: `${quota} ${CFS_PERIOD_US}`, memoryBytes };
}

export function parseMounts(mounts: string): { type: string; path: string; options: string }[] {
  return mounts
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      return { path: (f[1] ?? '').replace(/\\040/g, ' '), type: f[2] ?? '', options: f[3] ?? '' };
    });
}

export function detectCgroupLayout(mountsText?: string): CgroupLayout {
  let mounts: string;
  try {
    mounts = mountsText ?? readFileSync('/proc/mounts', 'utf8');
  } catch {
    return { version: 'none', reason: 'cannot read /proc/mounts' };
  }
  const entries = parseMounts(mounts);
  const v1 = (controller: string): string | undefined =>
    entries.find((e) => e.type === 'cgroup' && e.options.split(',').includes(controller))?.path;
  const cpuRoot = v1('cpu');
  const memoryRoot = v1('memory');
  if (cpuRoot !== undefined && memoryRoot !== undefined) return { version: 1, cpuRoot, memoryRoot };
  for (const e of entries.filter((x) => x.type === 'cgroup2')) {
    try {
      const controllers = readFileSync(join(e.path, 'cgroup.controllers'), 'utf8').split(/\s+/);
      if (controllers.includes('cpu') && controllers.includes('memory')) return { version: 2, root: e.path };
    } catch {
      // not readable: try the next one
    }
  }
  return {
    version: 'none',
    reason: 'no cgroup hierarchy with both the cpu and memory controllers is mounted',
  };
}

/** The directories a node's processes join (one per v1 hierarchy, one for v2). */
export function nodeCgroupDirs(layout: CgroupLayout, relative: string): string[] {
  if (layout.version === 1) return [join(layout.cpuRoot, relative), join(layout.memoryRoot, relative)];
  if (layout.version === 2) return [join(layout.root, relative)];
  return [];
}

export function runCgroupDirs(layout: CgroupLayout, relative: string): string[] {
  return nodeCgroupDirs(layout, relative);
}

/** Create the node's cgroup(s) and write its limits. The run's parent dir must exist. */
export function createNodeCgroup(layout: CgroupLayout, relative: string, limits: NodeLimits): void {
  const v = cgroupValues(limits);
  if (layout.version === 1) {
    const cpu = join(layout.cpuRoot, relative);
    const mem = join(layout.memoryRoot, relative);
    mkdirSync(cpu, { recursive: true });
    writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(v.cfsPeriodUs));
    writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(v.cfsQuotaUs));
    mkdirSync(mem, { recursive: true });
    writeFileSync(join(mem, 'memory.limit_in_bytes'), String(v.memoryBytes));
  } else if (layout.version === 2) {
    const dir = join(layout.root, relative);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cpu.max'), v.cpuMax);
    writeFileSync(join(dir, 'memory.max'), String(v.memoryBytes));
  }
}

/** v2 only: let the run's parent delegate cpu and memory to the node groups below it. */
export function enableV2Controllers(layout: CgroupLayout, runRelative: string): void {
  if (layout.version !== 2) return;
  const dir = join(layout.root, runRelative);
  mkdirSync(dir, { recursive: true });
  // The root's subtree_control must include them too (usually does on systemd hosts).
  for (const d of [layout.root, dir]) {
    try {
      writeFileSync(join(d, 'cgroup.subtree_control'), '+cpu +memory');
    } catch {
      // already enabled, or not allowed at the root: the node writes will tell
    }
  }
}

export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Kill every process in a cgroup, then remove it. Every member is this run's by construction
 * (only this provider puts processes there), so killing them by PID is exact.
 */
export async function removeCgroup(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (let attempt = 0; attempt < 40; attempt++) {
    const pids = cgroupPids(dir);
    for (const pid of pids) {
      try {
        process.kill(pid, attempt < 10 ? 'SIGTERM' : 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' && code !== 'ENOTEMPTY') throw error;
    }
    await sleep(50);
  }
  rmdirSync(dir);
}
