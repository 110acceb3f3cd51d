import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runConfig } from '../../src/api.js';
import { fakeConfig, Sandbox } from './sandbox.js';

const box = new Sandbox();
box.link('provider-fake', 'os-fake', 'app-fake', 'monitor-fake');
const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
  box.cleanup();
});

describe('runConfig() (programmatic engine, for sweeps)', () => {
  it('runs a config in-process with the installed plugins and a mutated grid point', async () => {
    Object.assign(process.env, box.env());
    const config = box.write('c.yaml', fakeConfig(box.markers));
    const seen: unknown[] = [];
    const { runId, runDir, results, error } = await runConfig({
      config,
      runDir: join(box.dir, '.continuum'),
      quiet: true,
      mutate: (raw) => {
        const r = raw as { infrastructure: { endpoint: { nodes: number } } };
        r.infrastructure.endpoint.nodes = 3;
        seen.push(r);
        return r;
      },
    });
    expect(error).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(runDir).toBe(box.runDir(runId));
    expect(results.status).toBe('ok');
    expect(results.application?.tables[0]?.rows.map((r) => r[0])).toEqual([
      'cloud0',
      'endpoint0',
      'endpoint1',
      'endpoint2',
    ]);
    expect(box.markerFiles()).toEqual([]);
    expect(box.state(runId).status).toBe('torn-down');
  });

  it('throws config errors instead of running', async () => {
    Object.assign(process.env, box.env());
    const config = box.write('bad.yaml', fakeConfig(box.markers).replace('quota: 1 }', 'quota: 9 }'));
    await expect(
      runConfig({ config, runDir: join(box.dir, '.continuum'), quiet: true }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
