import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cdf, headline, workerLoad } from '../../src/report/data.js';
import { compareTable, formatCompare } from '../../src/report/compare.js';
import { renderCompareHtml, renderReportHtml, writeReport } from '../../src/report/index.js';
import { niceTicks, thin } from '../../src/report/svg.js';
import { hasChromium, renderInChromium } from './chromium.js';
import { fixtureResults, fixtureRunDir } from './fixture.js';
import { pngStats } from './png.js';

const tmp = mkdtempSync(join(tmpdir(), 'continuum-report-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('report data', () => {
  it("computes upstream's worker load: (frequency x endpoints) / (1000 / proc_time x cores) x 100", () => {
    const loads = workerLoad(fixtureResults({ workers: 2, endpointsPerWorker: 2, frequency: 5, procMs: 60 }));
    // worker 0: 5*2 / (1000/60 * 2) * 100 = 30 %; worker 1 (proc 70 ms): 35 %
    expect(loads.map((l) => [l.worker, l.endpoints, l.loadPct])).toEqual([
      ['worker 0', 2, 30],
      ['worker 1', 2, 35],
    ]);
  });

  it('builds CDFs, nice ticks and thins long series', () => {
    expect(cdf([3, 1, 2, NaN])).toEqual([
      [1, 1 / 3],
      [2, 2 / 3],
      [3, 1],
    ]);
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
    const pts = Array.from({ length: 10000 }, (_, i) => [i, i] as [number, number]);
    const t = thin(pts, 1000);
    expect(t.length).toBeLessThanOrEqual(1001);
    expect(t.at(-1)).toEqual([9999, 9999]);
  });

  it('headline numbers merge app and monitor summaries', () => {
    const h = headline(fixtureResults());
    expect(h).toMatchObject({
      status: 'ok',
      'scaphandre.energy_source': 'estimate',
      worker_load_max_pct: 35,
    });
    expect(typeof h['latency_p95_ms']).toBe('number');
  });
});

describe('report.html', () => {
  it('is self-contained and has every plot the issue lists', async () => {
    const dir = fixtureRunDir(fixtureResults(), tmp);
    const file = await writeReport(dir);
    expect(file).toBe(join(dir, 'report.html'));
    const html = readFileSync(file, 'utf8');
    // nothing fetched at view time: no scripts, stylesheets, images or fonts by URL
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    for (const title of [
      'Latency over time per endpoint',
      'Latency CDF per endpoint',
      'Processing time per image',
      'Worker load (upstream formula)',
      'Energy per node, benchmark phase',
      'Network: measured vs configured',
      'Phases',
      'cpu (%)',
      'power (W)',
    ])
      expect(html).toContain(title);
    expect(html).toContain('Energy is an <b>estimate</b>');
    expect(html).toContain('140.2 / 90 ms'); // the bad link is shown as measured / configured
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(9);
  });

  it('escapes names from the config and results', () => {
    const doc = fixtureResults();
    doc.runId = '<script>alert(1)</script>';
    (doc.application?.series ?? [])[0]!.id = 'latency-<img src=x>';
    const html = renderReportHtml(doc);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x>');
  });

  it('renders a failed run without application results', () => {
    const doc = fixtureResults();
    doc.status = 'failed';
    doc.application = undefined;
    doc.monitors = {};
    doc.errors = [{ code: 'PROVISION_FAILED', message: 'no root', hint: 'run as root' }];
    const html = renderReportHtml(doc);
    expect(html).toContain('PROVISION_FAILED: no root (run as root)');
    expect(html).toContain('no data');
  });

  it('a missing results.json is a clear error', async () => {
    await expect(writeReport(join(tmp, 'nope'))).rejects.toThrow(/results\.json does not exist/);
  });
});

describe('compare', () => {
  it('puts runs side by side, key metrics first', () => {
    const runs = [1, 2].map((seed) => ({
      label: `run${seed}`,
      dir: `/r/${seed}`,
      doc: fixtureResults({ seed, procMs: 50 + seed * 20 }),
    }));
    const t = compareTable(runs);
    expect(t.columns).toEqual(['metric', 'run1', 'run2']);
    expect(t.rows[0]?.[0]).toBe('status');
    const load = t.rows.find((r) => r[0] === 'worker_load_max_pct');
    expect(load?.slice(1)).toEqual([40, 50]);
    expect(formatCompare(runs).split('\n')[0]).toMatch(/^metric\s+run1\s+run2$/);
    expect(renderCompareHtml(runs)).toContain('End-to-end latency CDF per run');
  });
});

describe('report.html in headless Chromium', () => {
  it('Chromium is installed (apt-get install chromium)', () => {
    expect(hasChromium(), 'Debian chromium is needed for the browser checks of report.html').toBe(true);
  });

  it('renders with no console messages and a screenshot that is not blank', { timeout: 120000 }, async () => {
    const dir = fixtureRunDir(fixtureResults({ durationS: 60 }), tmp);
    const file = await writeReport(dir);
    const shot = join(tmp, 'report.png');
    const r = renderInChromium(file, shot);
    expect(r.console).toEqual([]);
    expect(r.requests).toEqual([]); // nothing fetched from the network at view time
    expect(existsSync(shot), r.stderr.slice(-2000)).toBe(true);
    const stats = pngStats(shot);
    expect(stats.width).toBe(1400);
    expect(stats.inkFraction).toBeGreaterThan(0.03); // text, axes and plots, not an empty page
    expect(stats.colours).toBeGreaterThan(8); // the plot palette is there
  });

  it(
    'the checker itself catches console errors and network fetches (so the test above can fail)',
    { timeout: 120000 },
    () => {
      const bad = join(tmp, 'bad.html');
      writeFileSync(
        bad,
        '<!doctype html><html><body><p>x</p><img src="https://cdn.example.com/x.png"><script>console.error("boom")</script></body></html>',
      );
      const r = renderInChromium(bad, join(tmp, 'bad.png'), '400,300');
      expect(r.console.join('\n')).toContain('boom');
      expect(r.requests).toContain('https://cdn.example.com/x.png');
      const blank = join(tmp, 'blank.html');
      writeFileSync(blank, '<!doctype html><html><body></body></html>');
      renderInChromium(blank, join(tmp, 'blank.png'), '400,300');
      expect(pngStats(join(tmp, 'blank.png')).inkFraction).toBeLessThan(0.01);
    },
  );
});
