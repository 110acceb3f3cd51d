import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from '@continuum/plugin-api';

const CLOCK_TICKS = 100;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Busy seconds of all CPUs and the CPU count, from /proc/stat text. */
export function parseProcStatTotals(procStat: string): { busySeconds: number; cores: number } {
  const lines = procStat.split('\n');
  const total = (lines[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const busy = total.reduce((a, v, i) => (i === 3 || i === 4 || !Number.isFinite(v) ? a : a + v), 0);
  return {
    busySeconds: busy / CLOCK_TICKS,
    cores: Math.max(1, lines.filter((l) => /^cpu\d+ /.test(l)).length),
  };
}

/** Something whose CPU time (and maybe power) can be read repeatedly. */
export interface EnergySource {
  name: string;
  kind: 'host' | 'cgroup' | 'vm';
  read(): Promise<{ cpuSeconds?: number | null; powerW?: number | null }>;
}

export function hostSource(proc = '/proc'): EnergySource {
  return {
    name: 'host',
    kind: 'host',
    read: () =>
      Promise.resolve({ cpuSeconds: parseProcStatTotals(readText(join(proc, 'stat')) ?? '').busySeconds }),
  };
}

/**
 * CPU seconds of a node whose processes sit in host cgroups: cpuacct.usage, cgroup v2 cpu.stat,
 * or (cpu and cpuacct mounted apart) utime+stime of its processes, remembering exited ones.
 */
export function cgroupSource(name: string, dirs: readonly string[], proc = '/proc'): EnergySource {
  const perPid = new Map<string, number>();
  return {
    name,
    kind: 'cgroup',
    read() {
      for (const dir of dirs) {
        const usage = Number(readText(join(dir, 'cpuacct.usage'))?.trim() ?? NaN);
        if (Number.isFinite(usage)) return Promise.resolve({ cpuSeconds: usage / 1e9 });
        const m = /usage_usec (\d+)/.exec(readText(join(dir, 'cpu.stat')) ?? '');
        if (m) return Promise.resolve({ cpuSeconds: Number(m[1]) / 1e6 });
      }
      const procs = dirs.map((d) => readText(join(d, 'cgroup.procs'))).find((t) => t !== undefined);
      if (procs === undefined) return Promise.resolve({ cpuSeconds: null });
      for (const pid of procs.split('\n').filter(Boolean)) {
        const stat = readText(join(proc, pid, 'stat'));
        if (stat === undefined) continue;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(f[11]) + Number(f[12]);
        if (!Number.isFinite(ticks)) continue;
        const key = `${pid}:${f[19] ?? ''}`;
        perPid.set(key, Math.max(perPid.get(key) ?? 0, ticks));
      }
      let ticks = 0;
      for (const v of perPid.values()) ticks += v;
      return Promise.resolve({ cpuSeconds: ticks / CLOCK_TICKS });
    },
  };
}

/** A VM (own kernel): its /proc/stat over the node's exec channel (ssh). */
export function vmSource(node: Node): EnergySource {
  return {
    name: node.name,
    kind: 'vm',
    async read() {
      const r = await node.exec(['cat', '/proc/stat'], { timeoutMs: 5000, check: false });
      return { cpuSeconds: r.exitCode === 0 ? parseProcStatTotals(r.stdout).busySeconds : null };
    },
  };
}

/** One source per node: cgroups for host-sharing nodes, /proc/stat over exec for VMs. */
export function nodeSources(nodes: readonly Node[]): EnergySource[] {
  return nodes.map((n) => {
    if (!n.sharesHostFilesystem) return vmSource(n);
    const dirs = (n.details as { cgroups?: unknown } | undefined)?.cgroups;
    return cgroupSource(
      n.name,
      Array.isArray(dirs) ? dirs.filter((d): d is string => typeof d === 'string') : [],
    );
  });
}
