import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SweepState } from '../../src/report/sweep.js';
import { fakeConfig, Sandbox, waitFor } from '../integration/sandbox.js';

const boxes: Sandbox[] = [];
function sandbox(): Sandbox {
  const box = new Sandbox();
  box.link('provider-fake', 'os-fake', 'app-fake', 'monitor-fake');
  boxes.push(box);
  return box;
}
afterAll(() => {
  for (const b of boxes) b.cleanup();
});
const sweepState = (box: Sandbox, id: string): SweepState =>
  JSON.parse(readFileSync(join(box.dir, '.continuum', 'sweeps', id, 'sweep.json'), 'utf8')) as SweepState;

describe('continuum sweep (real CLI, fixture plugins)', () => {
  it(
    'runs the grid x repetitions, writes a combined report, resumes only what is left',
    { timeout: 120000 },
    async () => {
      const box = sandbox();
      const config = box.write('c.yaml', fakeConfig(box.markers));
      const r = await box.run([
        'sweep',
        config,
        '--set',
        'infrastructure.endpoint.nodes=1,2',
        '--repetitions',
        '2',
        '--name',
        's1',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as {
        sweep: string;
        report: string;
        points: { status: string; runId: string }[];
      };
      expect(out.points.map((p) => p.status)).toEqual(['done', 'done', 'done', 'done']);
      expect(box.runIds()).toHaveLength(4);
      // the grid value really reached each run: 1 or 2 endpoint nodes + 1 cloud node
      const nodes = out.points.map(
        (p) =>
          (
            JSON.parse(readFileSync(join(box.runDir(p.runId), 'results.json'), 'utf8')) as {
              application: { summary: { nodes: number } };
            }
          ).application.summary.nodes,
      );
      expect(nodes).toEqual([2, 2, 3, 3]);
      expect(readFileSync(out.report, 'utf8')).toContain('Continuum sweep s1');
      expect(
        readFileSync(join(box.dir, '.continuum', 'sweeps', 's1', 'sweep.csv'), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(5);
      expect(box.markerFiles()).toEqual([]);

      // `report` and `compare` on those runs
      const rep = await box.run(['report', out.points[0]!.runId, '--json']);
      expect(rep.code, rep.stderr).toBe(0);
      expect(existsSync((JSON.parse(rep.stdout) as { report: string }).report)).toBe(true);
      const cmp = await box.run([
        'compare',
        out.points[0]!.runId,
        box.runDir(out.points[2]!.runId),
        '--html',
        join(box.dir, 'cmp.html'),
      ]);
      expect(cmp.code, cmp.stderr).toBe(0);
      expect(cmp.stdout).toMatch(/^metric\s+\S+\s+\S+\n\s*status\s+ok\s+ok/);
      expect(cmp.stdout).toMatch(/nodes\s+2\s+3/);
      expect(readFileSync(join(box.dir, 'cmp.html'), 'utf8')).toContain('runs compared');
      const one = await box.run(['compare', out.points[0]!.runId]);
      expect(one.code).toBe(2);

      // A crash left the last point unfinished: resume runs just that one.
      const state = sweepState(box, 's1');
      state.points[3]!.status = 'running';
      writeFileSync(join(box.dir, '.continuum', 'sweeps', 's1', 'sweep.json'), JSON.stringify(state));
      const again = await box.run(['sweep', '--resume', 's1']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('4 runs (1 to do)');
      expect(box.runIds()).toHaveLength(5);
      expect(sweepState(box, 's1').points.every((p) => p.status === 'done')).toBe(true);
    },
  );

  it('a failing point: the others still run, exit 1, the sweep says which', { timeout: 120000 }, async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers));
    const r = await box.run([
      'sweep',
      config,
      '--set',
      'application.options.failAt=benchmark',
      '--set',
      'infrastructure.cloud.nodes=1,2',
      '--name',
      'bad',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2 of 2 sweep runs did not succeed/);
    expect(sweepState(box, 'bad').points.map((p) => p.status)).toEqual(['failed', 'failed']);
    expect(box.markerFiles()).toEqual([]); // each failed run tore itself down
  });

  it(
    'SIGINT to the sweep stops the current run (torn down) and a resume finishes the grid',
    { timeout: 120000 },
    async () => {
      const box = sandbox();
      const config = box.write('c.yaml', fakeConfig(box.markers, { app: { sleepMs: 4000 } }));
      const { child, done } = box.start([
        'sweep',
        config,
        '--set',
        'infrastructure.endpoint.nodes=1,2',
        '--name',
        'int',
      ]);
      await waitFor(
        () =>
          existsSync(join(box.dir, '.continuum', 'sweeps', 'int', 'sweep.json')) &&
          box.markerFiles().some((f) => f.endsWith('-app.marker')),
        30000,
      );
      child.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/sweep --resume int/);
      expect(sweepState(box, 'int').points.map((p) => p.status)).toEqual(['interrupted', 'pending']);
      expect(box.markerFiles()).toEqual([]);
      const resumed = await box.run(['sweep', '--resume', 'int']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(sweepState(box, 'int').points.map((p) => p.status)).toEqual(['done', 'done']);
    },
  );

  it('--isolate: each point is a child `continuum run` process', { timeout: 120000 }, async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers));
    const r = await box.run([
      'sweep',
      config,
      '--set',
      'infrastructure.endpoint.nodes=1,3',
      '--name',
      'iso',
      '--isolate',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { points: { status: string; runId: string }[] };
    const nodes = out.points.map(
      (p) =>
        (
          JSON.parse(readFileSync(join(box.runDir(p.runId), 'results.json'), 'utf8')) as {
            application: { summary: { nodes: number } };
          }
        ).application.summary.nodes,
    );
    expect(nodes).toEqual([2, 4]);
  });

  it(
    'a grid value the config schema rejects is a config error (exit 2), nothing left running',
    { timeout: 60000 },
    async () => {
      const box = sandbox();
      const config = box.write('c.yaml', fakeConfig(box.markers));
      const r = await box.run(['sweep', config, '--set', 'infrastructure.cloud.quota=9', '--name', 'inv']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/quota/);
      expect(box.runIds()).toEqual([]);
      expect(sweepState(box, 'inv').points.map((p) => p.status)).toEqual(['pending']);
    },
  );

  it('bad --set is a config error (exit 2) before anything runs', async () => {
    const box = sandbox();
    const config = box.write('c.yaml', fakeConfig(box.markers));
    const r = await box.run(['sweep', config, '--set', 'nokey']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected key=value/);
    expect(box.runIds()).toEqual([]);
  });
});
