// The README's main job, end to end: the real CLI runs each shipped example (shortened) on this
// machine, with namespaces and emulated links when root, and must leave nothing behind.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'packages/core/bin/run.js');
const isRoot = process.getuid?.() === 0;

interface Results {
  status: string;
  emulation?: {
    backend: string;
    measurements: {
      ok: boolean;
      fromTier: string;
      toTier: string;
      configuredRttMs: number;
      measuredRttMs: number | null;
    }[];
  };
  application?: {
    status: string;
    tables: { id: string; columns: string[]; rows: unknown[][] }[];
    summary: Record<string, unknown>;
  };
}

function runExample(
  example: string,
  duration: number,
): { status: number | null; output: string; results: Results; runId: string } {
  const config = parse(readFileSync(join(root, 'examples', example, 'continuum.config.yaml'), 'utf8')) as {
    application: { options: Record<string, unknown> };
  };
  config.application.options['duration'] = duration;
  const dir = mkdtempSync(join(tmpdir(), `continuum-e2e-${example}-`));
  const file = join(dir, 'continuum.config.yaml');
  writeFileSync(file, stringify(config));
  const res = spawnSync(process.execPath, [cli, 'run', file, '--run-dir', join(dir, '.continuum')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 200_000,
    env: {
      ...process.env,
      XDG_DATA_HOME: join(dir, 'xdg-data'),
      XDG_CACHE_HOME: process.env['XDG_CACHE_HOME'] ?? join(dir, 'xdg-cache'),
    },
  });
  const runsDir = join(dir, '.continuum', 'runs');
  const runId = readdirSync(runsDir)[0] as string;
  const results = JSON.parse(readFileSync(join(runsDir, runId, 'results.json'), 'utf8')) as Results;
  return { status: res.status, output: `${res.stdout}\n${res.stderr}`, results, runId };
}

function leftoversOf(runId: string): string[] {
  const tag = runId.split('-').at(-1) as string;
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const links = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;
  return [...netns.split('\n'), ...links.split('\n')].filter(
    (l) => l.includes(`ct-${tag}-`) || l.includes(`ct${tag}`),
  );
}

describe.runIf(isRoot)('shipped examples on namespaces (short runs)', () => {
  it('examples/local: cloud offload over emulated 4G links', () => {
    const { status, output, results, runId } = runExample('local', 6);
    expect(status, output).toBe(0);
    expect(results.status).toBe('ok');
    expect(results.emulation?.backend).toMatch(/netem|userspace-relay/);
    const cloudEndpoint = results.emulation?.measurements.find(
      (m) => m.fromTier === 'cloud' && m.toTier === 'endpoint',
    );
    expect(cloudEndpoint?.configuredRttMs).toBe(90);
    expect(cloudEndpoint?.measuredRttMs).toBeGreaterThan(80);
    const endpoint = results.application?.tables.find((t) => t.id === 'endpoint');
    expect(endpoint?.columns.slice(0, 6)).toEqual([
      'connected_to',
      'total_time (s)',
      'preproc_time/data (ms)',
      'data_size_avg (kb)',
      'latency_avg (ms)',
      'latency_stdev (ms)',
    ]);
    expect(endpoint?.rows).toHaveLength(2);
    // Each reply crosses the 4G link twice: end-to-end latency must include the emulated RTT.
    expect(Number(results.application?.summary['latency_p50_ms'])).toBeGreaterThan(90);
    expect(output).toContain('CLOUD OUTPUT');
    expect(leftoversOf(runId)).toEqual([]);
  });

  it('examples/local-edge: edge offload', () => {
    const { status, output, results, runId } = runExample('local-edge', 6);
    expect(status, output).toBe(0);
    const worker = results.application?.tables.find((t) => t.id === 'worker');
    expect(worker?.columns.slice(0, 5)).toEqual([
      'worker_id',
      'total_time (s)',
      'delay_avg (ms)',
      'delay_stdev (ms)',
      'proc_time/data (ms)',
    ]);
    expect(worker?.rows).toHaveLength(2);
    expect(output).toContain('EDGE OUTPUT');
    expect(leftoversOf(runId)).toEqual([]);
  });

  it('examples/local-endpoint: local processing on the endpoints', () => {
    const { status, output, results, runId } = runExample('local-endpoint', 6);
    expect(status, output).toBe(0);
    const endpoint = results.application?.tables.find((t) => t.id === 'endpoint');
    expect(endpoint?.columns.slice(0, 5)).toEqual([
      'endpoint_id',
      'total_time (s)',
      'proc_time/data (ms)',
      'latency_avg (ms)',
      'latency_stdev (ms)',
    ]);
    expect(leftoversOf(runId)).toEqual([]);
  });
});
