import { readFileSync } from 'node:fs';
import type { Series } from '@continuum/plugin-api';
import type { Sample } from './cgroup-stats.js';

export function readSamples(file: string): Sample[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      samples.push(JSON.parse(line) as Sample);
    } catch {
      // a line cut by a crash of the sampler
    }
  }
  return samples;
}

/** CPU (% of the node's limit), memory (MiB) per node and host CPU (%), from the sampler's own file. */
export function seriesFromSamples(
  samples: readonly Sample[],
  window: { start: number; end: number },
): Series[] {
  const inWindow = samples.filter((s) => s.t >= window.start - 2000 && s.t <= window.end + 2000);
  const cpu = new Map<string, [number, number][]>();
  const mem = new Map<string, [number, number][]>();
  const host: [number, number][] = [];
  for (let i = 1; i < inWindow.length; i++) {
    const a = inWindow[i - 1] as Sample;
    const b = inWindow[i] as Sample;
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0) continue;
    host.push([b.t, round((100 * (b.host.cpuSeconds - a.host.cpuSeconds)) / dt / b.host.cores)]);
    for (const nb of b.nodes) {
      const na = a.nodes.find((n) => n.node === nb.node);
      if (na?.cpuSeconds != null && nb.cpuSeconds !== null && nb.limitCores > 0) {
        const points = cpu.get(nb.node) ?? [];
        points.push([b.t, round((100 * Math.max(0, nb.cpuSeconds - na.cpuSeconds)) / dt / nb.limitCores)]);
        cpu.set(nb.node, points);
      }
    }
  }
  for (const s of inWindow)
    for (const n of s.nodes)
      if (n.memoryBytes !== null) {
        const points = mem.get(n.node) ?? [];
        points.push([s.t, round(n.memoryBytes / 1048576)]);
        mem.set(n.node, points);
      }
  const out: Series[] = [];
  for (const [node, points] of cpu)
    out.push({ id: `cpu-${node}`, title: `CPU ${node} (% of limit)`, unit: '%', group: 'cpu', points });
  for (const [node, points] of mem)
    out.push({ id: `memory-${node}`, title: `Memory ${node}`, unit: 'MiB', group: 'memory', points });
  if (host.length > 0)
    out.push({ id: 'cpu-host', title: 'Host CPU (% of all cores)', unit: '%', group: 'host', points: host });
  return out;
}

/** CPU seconds each node used inside the window (first and last sample within it). */
export function cpuSecondsInWindow(
  samples: readonly Sample[],
  window: { start: number; end: number },
): Map<string, number> {
  const inWindow = samples.filter((s) => s.t >= window.start && s.t <= window.end + 1500);
  const result = new Map<string, number>();
  const first = inWindow[0];
  const last = inWindow.at(-1);
  if (first === undefined || last === undefined || first === last) return result;
  for (const n of last.nodes) {
    const a = first.nodes.find((x) => x.node === n.node)?.cpuSeconds;
    if (a != null && n.cpuSeconds !== null) result.set(n.node, round(n.cpuSeconds - a));
  }
  return result;
}

const round = (v: number): number => Math.round(v * 100) / 100;
