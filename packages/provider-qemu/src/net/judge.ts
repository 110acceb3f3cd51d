import type { LinkMeasurement } from '@continuum/plugin-api';
import { rttToleranceMs } from '@continuum/plugin-api';

/**
 * Judges shaped RTTs by what the emulation added on top of the same pair's unshaped RTT (the
 * virtualisation's own latency, large under TCG). The raw measurement is kept; `ok` and the note
 * use the difference. Without a baseline for the pair, the raw value is judged with the slack.
 */
export function judgeAgainstBaseline(
  measured: readonly LinkMeasurement[],
  baseline: readonly LinkMeasurement[],
  slackMs: number,
): LinkMeasurement[] {
  return measured.map((m) => {
    if (m.measuredRttMs === null || m.measuredRttMs === undefined) return m;
    const b = baseline.find((x) => x.from === m.from && x.to === m.to)?.measuredRttMs ?? null;
    const tolerance = rttToleranceMs(m.configuredRttMs, 'netem', slackMs);
    const added = b === null ? m.measuredRttMs : m.measuredRttMs - b;
    const ok =
      Math.abs(added - m.configuredRttMs) <= tolerance && m.measuredRttMs >= m.configuredRttMs * 0.98;
    const base =
      b === null ? 'no baseline' : `unshaped baseline ${b.toFixed(2)} ms, links add ${added.toFixed(2)} ms`;
    return {
      ...m,
      ok,
      note: `${base}; configured ${m.configuredRttMs} ms, tolerance ${tolerance.toFixed(2)} ms${ok ? '' : ' (off target)'}`,
    };
  });
}
