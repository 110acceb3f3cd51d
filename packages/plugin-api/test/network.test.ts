import { describe, expect, it } from 'vitest';
import { expectedRttMs, linkClassOf, resolveLinks, UPSTREAM_LINK_DEFAULTS } from '../src/network.js';

describe('upstream link model', () => {
  it('uses upstream built-in values for the 4g preset', () => {
    const links = resolveLinks('4g', {}, ['cloud', 'endpoint']);
    const up = links.find((l) => l.from === 'endpoint' && l.to === 'cloud');
    expect(up).toEqual({
      from: 'endpoint',
      to: 'cloud',
      latencyMs: 45,
      jitterMs: 5,
      rateMbit: 7.21,
      lossPct: 0,
    });
    expect(expectedRttMs(links, 'endpoint', 'cloud')).toBe(90);
  });

  it('never shapes endpoint<->endpoint and keeps preset values for -1 overrides', () => {
    expect(linkClassOf('endpoint', 'endpoint')).toBeUndefined();
    const links = resolveLinks('5g', { 'edge-endpoint': { latencyMs: -1, rateMbit: 50 } }, [
      'edge',
      'endpoint',
    ]);
    expect(links.some((l) => l.from === 'endpoint' && l.to === 'endpoint')).toBe(false);
    const e = links.find((l) => l.from === 'edge' && l.to === 'endpoint');
    expect(e?.latencyMs).toBe(UPSTREAM_LINK_DEFAULTS['5g']['edge-endpoint'].latencyMs);
    expect(e?.rateMbit).toBe(50);
  });
});
