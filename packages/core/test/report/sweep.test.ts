import { describe, expect, it } from 'vitest';
import {
  expandGrid,
  newSweepState,
  parseSet,
  pointKey,
  remaining,
  renderSweepHtml,
  setPath,
  sweepCsv,
} from '../../src/report/sweep.js';
import { fixtureResults } from './fixture.js';

describe('sweep grid', () => {
  it('parses --set values into numbers, booleans and strings', () => {
    expect(parseSet('infrastructure.endpoint.nodes=1,2, 4')).toEqual({
      key: 'infrastructure.endpoint.nodes',
      values: [1, 2, 4],
    });
    expect(parseSet('a.b=true,x,0.5').values).toEqual([true, 'x', 0.5]);
    expect(() => parseSet('nokey')).toThrow(/expected key=value/);
    expect(() => parseSet('a..b=1')).toThrow(/dotted config path/);
    expect(() => parseSet('a=,')).toThrow(/no values/);
  });

  it('expands every combination, first axis slowest, with repetitions', () => {
    const axes = [parseSet('x=1,2'), parseSet('y=a,b,c')];
    expect(expandGrid(axes).map(pointKey)).toEqual([
      'x=1 y=a',
      'x=1 y=b',
      'x=1 y=c',
      'x=2 y=a',
      'x=2 y=b',
      'x=2 y=c',
    ]);
    const state = newSweepState('s', '/c.yaml', axes, 2);
    expect(state.points).toHaveLength(12);
    state.points[0]!.status = 'done';
    state.points[1]!.status = 'failed';
    expect(remaining(state)).toHaveLength(11);
  });

  it('sets dotted paths in objects and lists, refusing to descend into values', () => {
    const config: Record<string, unknown> = {
      infrastructure: { cloud: { nodes: 1 } },
      monitors: [{ use: 'prometheus' }],
    };
    setPath(config, 'infrastructure.cloud.quota', 0.5);
    setPath(config, 'monitors.0.options.scrapeIntervalS', 2);
    setPath(config, 'application.options.frequency', 5);
    expect(config).toEqual({
      infrastructure: { cloud: { nodes: 1, quota: 0.5 } },
      monitors: [{ use: 'prometheus', options: { scrapeIntervalS: 2 } }],
      application: { options: { frequency: 5 } },
    });
    expect(() => setPath(config, 'infrastructure.cloud.nodes.x', 1)).toThrow(/is a number, not a section/);
    expect(() => setPath(config, 'monitors.first.use', 'x')).toThrow(/must be a list index/);
  });

  it('combined report and CSV: mean over repetitions against the first axis', () => {
    const state = newSweepState('s1', '/c.yaml', [parseSet('application.options.frequency=2,5')], 2);
    const runs = state.points.map((p, i) => {
      p.status = 'done';
      p.runId = `r${i}`;
      return {
        label: p.key,
        dir: `/r${i}`,
        doc: fixtureResults({
          frequency: p.values['application.options.frequency'] as number,
          seed: i + 1,
          durationS: 5,
        }),
        point: p,
      };
    });
    const html = renderSweepHtml(state, runs);
    expect(html).toContain('latency_p50_ms (mean of 2 runs)');
    expect(html).toContain('>application.options.frequency</text>'); // the axis is the x label
    expect(html).toContain('worker_load_max_pct (mean of 2 runs)');
    const csv = sweepCsv(state, runs).trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0]).toMatch(/^application\.options\.frequency,repetition,run_id,/);
    expect(csv[1]).toMatch(/^2,1,r0,/);
  });
});
