import { describe, expect, it } from 'vitest';
import { percentile, stdev, summarize, upstreamTrim } from '../src/stats.js';

describe('upstream statistics', () => {
  it('keeps values[int(n*0.05):int(n*0.90)] of the sorted list', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    const trimmed = upstreamTrim(values);
    expect(trimmed[0]).toBe(6);
    expect(trimmed.at(-1)).toBe(90);
    expect(trimmed).toHaveLength(85);
  });

  it('uses the population standard deviation and numpy-style percentiles', () => {
    expect(stdev([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    const s = summarize([10, 20, 30, 40, 1000]);
    expect(s.p99).toBeGreaterThan(900);
    expect(s.count).toBe(5);
  });
});
