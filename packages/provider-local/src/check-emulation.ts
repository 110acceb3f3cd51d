import { findLink, measureRttMatrix, tierPairs } from '@continuum/plugin-api';
import type { LinkMeasurement, LinkSpec, Node } from '@continuum/plugin-api';
import type { DelayBackend } from './shaping.js';
import { measureThroughput } from './throughput.js';

/**
 * Jitter makes the median of n pings a random variable: its standard error is about
 * 1.2533 * sigma / sqrt(n), with sigma the RTT jitter (both directions). Two standard errors are
 * added to the accuracy bound so a correct emulation is not flagged just for sampling noise.
 */
export function samplingSlackMs(links: readonly LinkSpec[], a: Node, b: Node, pings: number): number {
  const ja = findLink(links, a.tier, b.tier)?.jitterMs ?? 0;
  const jb = findLink(links, b.tier, a.tier)?.jitterMs ?? 0;
  const sigma = Math.sqrt(ja * ja + jb * jb);
  return (2 * 1.2533 * sigma) / Math.sqrt(Math.max(1, pings));
}

export interface CheckOptions {
  backend: DelayBackend;
  pings: number;
  pingIntervalS: number;
  throughput: boolean;
  throughputSeconds: number;
  signal?: AbortSignal;
}

/** Throughput result is acceptable at 90..105 % of the configured rate (goal: 90-100 %). */
export function throughputOk(measured: number, configured: number): boolean {
  return measured >= configured * 0.9 && measured <= configured * 1.05;
}

/** RTT per tier pair (all pairs at once), then throughput per shaped pair (one at a time). */
export async function checkEmulation(
  nodes: readonly Node[],
  links: readonly LinkSpec[],
  options: CheckOptions,
): Promise<{ measurements: LinkMeasurement[]; warnings: string[]; throughputTool: string | undefined }> {
  const pairs = tierPairs(nodes);
  const measurements = (
    await Promise.all(
      pairs.map(([a, b]) =>
        measureRttMatrix([a, b], links, {
          backend: options.backend,
          count: options.pings,
          intervalS: options.pingIntervalS,
          slackMs: samplingSlackMs(links, a, b, options.pings),
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      ),
    )
  ).flat();
  const warnings: string[] = [];
  for (const m of measurements) if (!m.ok) warnings.push(`RTT ${m.from} -> ${m.to}: ${m.note ?? 'off'}`);
  const tools = new Set<string>();
  if (options.throughput) {
    let port = 47100;
    for (const m of measurements) {
      const a = nodes.find((n) => n.name === m.from);
      const b = nodes.find((n) => n.name === m.to);
      const configured = m.configuredRateMbit;
      if (a === undefined || b === undefined || configured === null || configured === undefined) continue;
      const res = await measureThroughput(a, b, {
        seconds: options.throughputSeconds,
        port: port++,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      m.measuredRateMbit = res.mbit;
      tools.add(res.tool);
      if (res.mbit === null) {
        warnings.push(`throughput ${a.name} -> ${b.name}: test failed (${res.error ?? 'unknown'})`);
      } else if (!throughputOk(res.mbit, configured)) {
        const pct = Math.round((res.mbit / configured) * 100);
        warnings.push(
          `throughput ${a.name} -> ${b.name}: ${res.mbit} Mbit/s is ${pct} % of the configured ${configured} Mbit/s (goal 90-100 %)`,
        );
        m.note = [m.note, `throughput ${pct} % of configured`].filter(Boolean).join('; ');
        m.ok = false;
      }
    }
  }
  return { measurements, warnings, throughputTool: [...tools].join(',') || undefined };
}
