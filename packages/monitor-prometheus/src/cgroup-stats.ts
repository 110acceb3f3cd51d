import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A node whose processes live in host cgroups (provider-local namespaces / plain processes). */
export interface CgroupSource {
  node: string;
  tier: string;
  /** The node's cgroup directories, as provider-local records them in NodeInfo.details.cgroups. */
  cgroups: string[];
  /** cores × quota: the CPU bandwidth the node may use. */
  limitCores: number;
}

export type CpuMethod = 'cpuacct' | 'cpu.stat' | 'procs' | 'none';

export interface NodeSample {
  node: string;
  tier: string;
  cpuSeconds: number | null;
  memoryBytes: number | null;
  limitCores: number;
  method: CpuMethod;
}

export interface Sample {
  /** epoch ms */
  t: number;
  host: { cpuSeconds: number; cores: number; memoryUsedBytes: number };
  nodes: NodeSample[];
}

const CLOCK_TICKS = 100; // USER_HZ on Linux (getconf CLK_TCK)

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

export function parseKeyValues(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && v !== undefined && Number.isFinite(Number(v))) map.set(k, Number(v));
  }
  return map;
}

/** utime + stime (clock ticks) and the start time of a process, from /proc/<pid>/stat. */
export function parseProcStat(stat: string): { cpuTicks: number; startTime: string } | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const start = rest[19];
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || start === undefined) return undefined;
  return { cpuTicks: utime + stime, startTime: start };
}

/** Busy CPU seconds of the whole host (all CPUs) from the first line of /proc/stat. */
export function parseHostCpu(procStat: string): { busySeconds: number; cores: number } {
  const lines = procStat.split('\n');
  const total = (lines[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  const busy = total.reduce((a, v, i) => (i === 3 || i === 4 || !Number.isFinite(v) ? a : a + v), 0);
  const cores = lines.filter((l) => /^cpu\d+ /.test(l)).length;
  return { busySeconds: busy / CLOCK_TICKS, cores: Math.max(1, cores) };
}

export function parseMemInfo(text: string): number {
  const kv = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) kv.set(m[1] as string, Number(m[2]) * 1024);
  }
  return (kv.get('MemTotal') ?? 0) - (kv.get('MemAvailable') ?? 0);
}

/**
 * Reads CPU time and memory of nodes from their cgroups. CPU time comes from cpuacct.usage where
 * the node's cgroup has it (cpu,cpuacct co-mounted), cpu.stat usage_usec on cgroup v2, and
 * otherwise (cpu and cpuacct mounted apart, as on this project's CI machines, where the node
 * joins only the cpu hierarchy) from the sum of utime+stime of the processes in the group,
 * keeping the last value of processes that exited so the counter never goes down.
 */
export class CgroupReader {
  private readonly seen = new Map<string, Map<string, number>>();

  constructor(
    private readonly sources: readonly CgroupSource[],
    private readonly proc = '/proc',
  ) {}

  sample(now = Date.now()): Sample {
    const hostCpu = parseHostCpu(readText(join(this.proc, 'stat')) ?? '');
    return {
      t: now,
      host: {
        cpuSeconds: hostCpu.busySeconds,
        cores: hostCpu.cores,
        memoryUsedBytes: parseMemInfo(readText(join(this.proc, 'meminfo')) ?? ''),
      },
      nodes: this.sources.map((s) => this.sampleNode(s)),
    };
  }

  private sampleNode(source: CgroupSource): NodeSample {
    const cpu = this.cpuOf(source);
    return {
      node: source.node,
      tier: source.tier,
      cpuSeconds: cpu.seconds,
      memoryBytes: this.memoryOf(source),
      limitCores: source.limitCores,
      method: cpu.method,
    };
  }

  private cpuOf(source: CgroupSource): { seconds: number | null; method: CpuMethod } {
    for (const dir of source.cgroups) {
      const usage = readNumber(join(dir, 'cpuacct.usage'));
      if (usage !== undefined) return { seconds: usage / 1e9, method: 'cpuacct' };
    }
    for (const dir of source.cgroups) {
      const stat = readText(join(dir, 'cpu.stat'));
      const usec = stat === undefined ? undefined : parseKeyValues(stat).get('usage_usec');
      if (usec !== undefined) return { seconds: usec / 1e6, method: 'cpu.stat' };
    }
    const procsFile = source.cgroups.map((d) => join(d, 'cgroup.procs')).find((f) => existsSync(f));
    if (procsFile === undefined) return { seconds: null, method: 'none' };
    const perPid = this.seen.get(source.node) ?? new Map<string, number>();
    this.seen.set(source.node, perPid);
    for (const pid of (readText(procsFile) ?? '').split('\n').filter(Boolean)) {
      const stat = readText(join(this.proc, pid, 'stat'));
      const parsed = stat === undefined ? undefined : parseProcStat(stat);
      if (parsed === undefined) continue;
      const key = `${pid}:${parsed.startTime}`;
      perPid.set(key, Math.max(perPid.get(key) ?? 0, parsed.cpuTicks));
    }
    let ticks = 0;
    for (const v of perPid.values()) ticks += v;
    return { seconds: ticks / CLOCK_TICKS, method: 'procs' };
  }

  private memoryOf(source: CgroupSource): number | null {
    for (const dir of source.cgroups) {
      const v1 = readNumber(join(dir, 'memory.usage_in_bytes'));
      if (v1 !== undefined) return v1;
      const v2 = readNumber(join(dir, 'memory.current'));
      if (v2 !== undefined) return v2;
    }
    return null;
  }
}
