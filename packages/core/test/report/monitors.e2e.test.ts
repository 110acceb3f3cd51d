import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsDocument } from '../../src/engine/report.js';
import { Sandbox } from '../integration/sandbox.js';

const boxes: Sandbox[] = [];
afterAll(() => {
  for (const b of boxes) b.cleanup();
});

/** Processes whose command line mentions `text` (the run directory is in every monitor daemon's argv). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(process.getuid?.() !== 0)(
  'monitors in a real run (provider-local, fake app, real CLI)',
  () => {
    it(
      'prometheus and scaphandre collect, results and report.html have them, daemons are gone after teardown',
      { timeout: 180000 },
      async () => {
        const box = new Sandbox({ firstParty: true });
        boxes.push(box);
        box.link('app-fake');
        const config = box.write(
          'c.yaml',
          [
            'infrastructure:',
            '  cloud: { nodes: 1, cores: 1, memory: 0.5, quota: 1 }',
            '  endpoint: { nodes: 1, cores: 1, memory: 0.25, quota: 0.5 }',
            '  network: { emulation: false }',
            'provider: { use: local }',
            `application: { use: fake-app, options: { markerDir: ${JSON.stringify(box.markers)}, sleepMs: 3000 } }`,
            'monitors:',
            '  - { use: prometheus, options: { scrapeIntervalS: 0.5 } }',
            '  - { use: scaphandre, options: { sampleIntervalS: 0.5 } }',
            '',
          ].join('\n'),
        );
        const r = await box.run(['run', config]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/NODE RESOURCES \(source: prometheus\)/);
        expect(r.stdout).toMatch(/ENERGY \(ESTIMATE: cpu-time power model\)/);
        const [id] = box.runIds();
        const dir = box.runDir(id as string);
        const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsDocument;
        expect(results.monitors['prometheus']?.summary).toMatchObject({
          source: 'prometheus',
          prometheus: 'ok',
          problems: 0,
        });
        expect(results.monitors['prometheus']?.tables?.[0]?.rows.map((row) => row[0])).toEqual([
          'cloud0',
          'endpoint0',
        ]);
        const energy = results.monitors['scaphandre']?.tables?.[0]?.rows ?? [];
        const bench = energy.find((row) => row[0] === 'host' && row[1] === 'benchmark');
        expect(Number(bench?.[2])).toBeGreaterThan(2.5); // the 3 s benchmark phase, from the engine's phase events
        expect(Number(bench?.[4])).toBeGreaterThan(0);
        const html = readFileSync(join(dir, 'report.html'), 'utf8');
        expect(html).toContain('Energy per node, benchmark phase');
        expect(html).toContain('cpu (%)');
        expect(processesMentioning(dir)).toEqual([]);
      },
    );
  },
);
