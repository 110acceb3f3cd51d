import { describe, expect, it } from 'vitest';
import type { LinkMeasurement } from '@continuum/plugin-api';
import { judgeAgainstBaseline } from '../src/net/judge.js';

const m = (measured: number | null, configured = 20): LinkMeasurement => ({
  from: 'cloud0',
  to: 'endpoint0',
  fromTier: 'cloud',
  toTier: 'endpoint',
  configuredRttMs: configured,
  measuredRttMs: measured,
  ok: false,
});

describe('link validation against the unshaped baseline', () => {
  it('accepts when the links add the configured RTT on top of TCG latency', () => {
    const [r] = judgeAgainstBaseline([m(25.6)], [m(5.2, 0)], 3);
    expect(r!.ok).toBe(true);
    expect(r!.note).toContain('links add 20.40 ms');
    expect(r!.measuredRttMs).toBe(25.6);
  });
  it('rejects when the added delay is off, or the RTT is below the configured value', () => {
    expect(judgeAgainstBaseline([m(35)], [m(5, 0)], 3)[0]!.ok).toBe(false);
    expect(judgeAgainstBaseline([m(15)], [m(0.5, 0)], 3)[0]!.ok).toBe(false);
  });
  it('without a baseline judges the raw value; failed pings stay failed', () => {
    expect(judgeAgainstBaseline([m(21)], [], 3)[0]!.ok).toBe(true);
    expect(judgeAgainstBaseline([m(null)], [], 3)[0]!.ok).toBe(false);
  });
});
