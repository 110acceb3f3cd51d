/** One reading per source (node or `host`): cumulative CPU seconds and/or instantaneous power. */
export interface Reading {
  t: number;
  values: Record<string, { cpuSeconds?: number | null; powerW?: number | null }>;
}

export interface PhaseSpan {
  phase: string;
  start: number;
  end: number;
}

export interface PowerPoint {
  t0: number;
  t1: number;
  watts: number;
  cpuSeconds: number;
  /** true: a power sensor (scaphandre) gave the watts; false: the power model did. */
  measured: boolean;
}

/**
 * Power intervals per source between consecutive readings. A measured power (scaphandre) wins;
 * otherwise the power model turns the CPU-time delta into watts.
 */
export function powerIntervals(
  readings: readonly Reading[],
  model: (source: string, busyCores: number) => number,
): Map<string, PowerPoint[]> {
  const out = new Map<string, PowerPoint[]>();
  for (let i = 1; i < readings.length; i++) {
    const a = readings[i - 1] as Reading;
    const b = readings[i] as Reading;
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0) continue;
    for (const [source, vb] of Object.entries(b.values)) {
      const va = a.values[source];
      if (va === undefined) continue;
      const cpu =
        vb.cpuSeconds != null && va.cpuSeconds != null ? Math.max(0, vb.cpuSeconds - va.cpuSeconds) : null;
      const measured = vb.powerW != null && va.powerW != null ? (vb.powerW + va.powerW) / 2 : null;
      const watts = measured ?? (cpu === null ? null : model(source, cpu / dt));
      if (watts === null) continue;
      const list = out.get(source) ?? [];
      list.push({ t0: a.t, t1: b.t, watts, cpuSeconds: cpu ?? 0, measured: measured !== null });
      out.set(source, list);
    }
  }
  return out;
}

export interface EnergyRow {
  source: string;
  phase: string;
  durationS: number;
  cpuSeconds: number;
  energyJ: number;
  meanPowerW: number | null;
  /** Fraction of the phase covered by readings (1 = fully). */
  coverage: number;
  /** Where the watts came from in this phase. */
  basis: 'measured' | 'estimate' | 'mixed' | 'none';
}

/** Energy (J) and mean power (W) per source and phase, clipping intervals to each phase. */
export function energyPerPhase(
  intervals: Map<string, PowerPoint[]>,
  phases: readonly PhaseSpan[],
): EnergyRow[] {
  const rows: EnergyRow[] = [];
  for (const [source, points] of intervals) {
    for (const p of phases) {
      let energy = 0;
      let cpu = 0;
      let covered = 0;
      let measured = 0;
      let modelled = 0;
      for (const pt of points) {
        const overlap = Math.min(pt.t1, p.end) - Math.max(pt.t0, p.start);
        if (overlap <= 0) continue;
        if (pt.measured) measured++;
        else modelled++;
        const share = overlap / (pt.t1 - pt.t0);
        energy += pt.watts * (overlap / 1000);
        cpu += pt.cpuSeconds * share;
        covered += overlap;
      }
      const duration = (p.end - p.start) / 1000;
      rows.push({
        source,
        phase: p.phase,
        durationS: round(duration),
        cpuSeconds: round(cpu),
        energyJ: round(energy),
        meanPowerW: covered > 0 ? round(energy / (covered / 1000)) : null,
        coverage: duration > 0 ? round(covered / 1000 / duration) : 0,
        basis:
          measured > 0 && modelled > 0
            ? 'mixed'
            : measured > 0
              ? 'measured'
              : modelled > 0
                ? 'estimate'
                : 'none',
      });
    }
  }
  return rows;
}

/** Phase spans from before/after events (a phase still open ends at `now`). */
export function phaseSpans(
  events: readonly { phase: string; when: 'before' | 'after'; time: number }[],
  now: number,
): PhaseSpan[] {
  const spans: PhaseSpan[] = [];
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.when === 'before') open.set(e.phase, e.time);
    else {
      const start = open.get(e.phase);
      if (start !== undefined) spans.push({ phase: e.phase, start, end: e.time });
      open.delete(e.phase);
    }
  }
  for (const [phase, start] of open) spans.push({ phase, start, end: now });
  return spans;
}

const round = (v: number): number => Math.round(v * 100) / 100;
